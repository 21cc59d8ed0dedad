"""Conversation flow, measured from the transcript text alone.

The contract of every file in this folder: `run(transcript: str) -> dict` with
{"title": ..., "variables": [{"metric": ..., "value": ..., "status": "good|warning|poor"}]}.
The transcript arrives as "AGENT: ...\nPARTICIPANT: ...\n" lines.
"""

from _transcript import turns


def run(transcript: str) -> dict:
    spoken = turns(transcript)
    agent = [text for speaker, text in spoken if speaker == "AGENT"]
    participant = [text for speaker, text in spoken if speaker == "PARTICIPANT"]
    agent_words = sum(len(t.split()) for t in agent)
    participant_words = sum(len(t.split()) for t in participant)
    total = agent_words + participant_words
    ratio = participant_words / agent_words if agent_words else 0.0
    questions = sum(t.count("?") for t in agent)

    return {
        "title": "Conversation flow (Python)",
        "variables": [
            {
                "metric": "turns",
                "value": len(spoken),
                "status": "good" if len(spoken) >= 6 else "warning" if len(spoken) >= 4 else "poor",
            },
            {
                "metric": "participant_to_agent_word_ratio",
                "value": round(ratio, 2),
                "status": "good" if ratio >= 1.5 else "warning" if ratio >= 1.0 else "poor",
            },
            {
                "metric": "words_spoken",
                "value": total,
                "status": "good" if total > 0 else "poor",
            },
            {
                "metric": "agent_questions",
                "value": questions,
                "status": "good" if questions >= len(agent) / 2 else "warning",
            },
        ],
    }
