"""Helpers the tests share (files starting with `_` are not tests)."""


def turns(transcript: str):
    """The transcript as (speaker, text) pairs; a line without a label continues its turn."""
    spoken = []
    for line in transcript.splitlines():
        for label in ("AGENT", "PARTICIPANT", "SYSTEM"):
            if line.startswith(label + ":"):
                spoken.append((label, line[len(label) + 1 :].strip()))
                break
        else:
            if spoken:
                speaker, text = spoken[-1]
                spoken[-1] = (speaker, text + "\n" + line)
    return [(s, t) for s, t in spoken if s != "SYSTEM"]
