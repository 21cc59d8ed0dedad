"""How concrete the participant's answers are: numbers, names and longer answers suggest the
interviewer drew out real detail rather than yes/no replies."""

import re

from _transcript import turns


def run(transcript: str) -> dict:
    answers = [text for speaker, text in turns(transcript) if speaker == "PARTICIPANT"]
    if not answers:
        return {
            "title": "Participant detail",
            "variables": [{"metric": "answers", "value": 0, "status": "poor"}],
        }
    mean_words = sum(len(a.split()) for a in answers) / len(answers)
    # A number, or a capitalised word inside a sentence (a name, a place).
    concrete = sum(1 for a in answers if re.search(r"\d|(?<=[a-z,;] )[A-Z][a-z]+", a))
    share = concrete / len(answers)
    return {
        "title": "Participant detail",
        "variables": [
            {"metric": "answers", "value": len(answers), "status": "good"},
            {
                "metric": "mean_answer_words",
                "value": round(mean_words, 1),
                "status": "good" if mean_words >= 15 else "warning" if mean_words >= 6 else "poor",
            },
            {
                "metric": "concrete_answer_share",
                "value": round(share, 2),
                "status": "good" if share >= 0.5 else "warning" if share >= 0.25 else "poor",
            },
        ],
    }
