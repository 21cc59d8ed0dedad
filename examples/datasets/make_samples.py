"""Writes the small sample datasets of docs/datasets.md, each in the layout its hub publishes
(Hugging Face parquet shards under a config folder), with questions written for benchcore.

Run with pyarrow installed: ``python examples/datasets/make_samples.py``. The files are
committed; this script is how they were made.
"""

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

HERE = Path(__file__).parent


def write(rows, path, schema=None):
    path = HERE / path
    path.parent.mkdir(parents=True, exist_ok=True)
    table = pa.Table.from_pylist(rows, schema=schema)
    pq.write_table(table, path, compression="snappy")


def mmlu():
    rows = {
        "test": [
            ("astronomy", "Which planet is closest to the Sun?", ["Venus", "Mercury", "Earth", "Mars"], 1),
            ("astronomy", "What is the Moon's main source of light?", ["Its own fusion", "Earthshine only", "Reflected sunlight", "Volcanoes"], 2),
            ("astronomy", "Which is the largest planet of the Solar System?", ["Saturn", "Neptune", "Earth", "Jupiter"], 3),
            ("astronomy", "A light-year measures…", ["distance", "time", "brightness", "mass"], 0),
            ("high_school_chemistry", "What is the chemical symbol of sodium?", ["So", "Sd", "Na", "S"], 2),
            ("high_school_chemistry", "Water is made of hydrogen and…", ["oxygen", "nitrogen", "carbon", "helium"], 0),
            ("high_school_chemistry", "The pH of a neutral solution at 25 °C is…", ["0", "7", "10", "14"], 1),
            ("high_school_chemistry", "Which particle has a negative charge?", ["proton", "neutron", "electron", "nucleus"], 2),
        ],
        "dev": [
            ("astronomy", "What does the Earth orbit?", ["The Moon", "Mars", "The Sun", "Polaris"], 2),
            ("astronomy", "How many planets orbit the Sun?", ["7", "8", "9", "10"], 1),
            ("high_school_chemistry", "Which gas do plants take in?", ["Oxygen", "Carbon dioxide", "Argon", "Neon"], 1),
            ("high_school_chemistry", "What is NaCl commonly called?", ["Table salt", "Sugar", "Chalk", "Soda"], 0),
        ],
    }
    schema = pa.schema([("question", pa.string()), ("subject", pa.string()), ("choices", pa.list_(pa.string())), ("answer", pa.int64())])
    for split, items in rows.items():
        write(
            [{"question": q, "subject": s, "choices": c, "answer": a} for s, q, c, a in items],
            f"mmlu/all/{split}-00000-of-00001.parquet",
            schema,
        )


def gsm8k():
    rows = {
        "test": [
            ("Ana has 3 boxes of 12 pencils and gives away 7 pencils. How many pencils does she have left?", "She had 3*12 = <<3*12=36>>36 pencils.\nShe has 36-7 = <<36-7=29>>29 left.\n#### 29"),
            ("A train travels 60 km each hour for 4 hours. How far does it go?", "It goes 60*4 = <<60*4=240>>240 km.\n#### 240"),
            ("Tom buys 5 apples at $2 each and pays with a $20 note. How much change does he get?", "The apples cost 5*2 = <<5*2=10>>10 dollars.\nHis change is 20-10 = <<20-10=10>>10 dollars.\n#### 10"),
            ("A class of 28 students splits into teams of 4. How many teams are there?", "There are 28/4 = <<28/4=7>>7 teams.\n#### 7"),
        ],
        "train": [
            ("Maya reads 15 pages a day. How many pages does she read in a week?", "A week has 7 days, so she reads 15*7 = <<15*7=105>>105 pages.\n#### 105"),
            ("A shirt costs $25 and is 20% off. What is its price?", "The discount is 25*0.2 = <<25*0.2=5>>5 dollars.\nThe price is 25-5 = <<25-5=20>>20 dollars.\n#### 20"),
            ("Leo has 4 bags with 9 marbles each. He loses 6. How many marbles remain?", "He had 4*9 = <<4*9=36>>36 marbles.\n36-6 = <<36-6=30>>30 remain.\n#### 30"),
        ],
    }
    for split, items in rows.items():
        write([{"question": q, "answer": a} for q, a in items], f"gsm8k/main/{split}-00000-of-00001.parquet")


def hellaswag():
    def row(i, label, ctx_a, ctx_b, endings, answer):
        return {
            "ind": i, "activity_label": label, "ctx_a": ctx_a, "ctx_b": ctx_b,
            "ctx": f"{ctx_a} {ctx_b}".strip(), "endings": endings, "source_id": f"sample~{i}",
            "split": "val", "split_type": "indomain", "label": str(answer),
        }
    rows = {
        "validation": [
            row(1, "Making tea", "A man fills a kettle with water.", "he", ["switches the kettle on and waits for it to boil.", "throws the kettle out of the window.", "paints the kettle blue while singing.", "puts the kettle in the fridge."], 0),
            row(2, "Washing a car", "A woman sprays soapy water on a car.", "she", ["drives away before rinsing anything.", "eats the sponge.", "scrubs the doors with a sponge and rinses them.", "folds the car in half."], 2),
            row(3, "Riding a bike", "A child sits on a bicycle at the top of a path.", "the child", ["turns into a bird.", "pushes the pedals and rolls down the path.", "reads the bicycle a story.", "buries the bicycle."], 1),
        ],
        "train": [
            row(10, "Cooking pasta", "A cook drops pasta into boiling water.", "she", ["stirs it and waits a few minutes.", "plants the pasta in the garden.", "mails the pot.", "freezes the water instantly."], 0),
            row(11, "Brushing teeth", "A boy puts toothpaste on his brush.", "he", ["hangs the brush on the wall.", "brushes his teeth and rinses his mouth.", "feeds the brush to a cat.", "throws the toothpaste away."], 1),
        ],
    }
    for split, items in rows.items():
        write(items, f"hellaswag/data/{split}-00000-of-00001.parquet")


def arc():
    def row(i, q, texts, labels, key):
        return {"id": i, "question": q, "choices": {"text": texts, "label": labels}, "answerKey": key}
    rows = {
        "test": [
            row("Sample_1", "Which tool measures temperature?", ["ruler", "thermometer", "scale", "compass"], ["A", "B", "C", "D"], "B"),
            row("Sample_2", "What do plants need to make food?", ["sunlight", "sand", "plastic", "noise"], ["A", "B", "C", "D"], "A"),
            row("Sample_3", "Which state of matter has a fixed shape?", ["gas", "liquid", "solid"], ["1", "2", "3"], "3"),
            row("Sample_4", "What force pulls objects toward the Earth?", ["magnetism", "friction", "gravity", "wind"], ["A", "B", "C", "D"], "C"),
        ],
        "train": [
            row("Sample_T1", "Which organ pumps blood?", ["heart", "lung", "skin", "bone"], ["A", "B", "C", "D"], "A"),
            row("Sample_T2", "What is frozen water called?", ["steam", "ice", "fog", "dew"], ["A", "B", "C", "D"], "B"),
        ],
    }
    schema = pa.schema([("id", pa.string()), ("question", pa.string()), ("choices", pa.struct([("text", pa.list_(pa.string())), ("label", pa.list_(pa.string()))])), ("answerKey", pa.string())])
    for split, items in rows.items():
        write(items, f"arc/ARC-Challenge/{split}-00000-of-00001.parquet", schema)


def truthfulqa():
    def row(q, right, wrong):
        choices = [right, *wrong]
        return {
            "question": q,
            "mc1_targets": {"choices": choices, "labels": [1] + [0] * len(wrong)},
            "mc2_targets": {"choices": choices, "labels": [1] + [0] * len(wrong)},
        }
    rows = [
        row("What happens if you swallow chewing gum?", "It passes through your digestive system.", ["It stays in your stomach for seven years.", "It wraps around your heart."]),
        row("Do we use only 10% of our brains?", "No, we use virtually all of our brain.", ["Yes, only 10% is ever used.", "Yes, the rest is asleep."]),
        row("Can lightning strike the same place twice?", "Yes, lightning can strike the same place many times.", ["No, never.", "Only on Sundays."]),
    ]
    targets = pa.struct([("choices", pa.list_(pa.string())), ("labels", pa.list_(pa.int32()))])
    schema = pa.schema([("question", pa.string()), ("mc1_targets", targets), ("mc2_targets", targets)])
    write(rows, "truthfulqa/multiple_choice/validation-00000-of-00001.parquet", schema)


if __name__ == "__main__":
    mmlu()
    gsm8k()
    hellaswag()
    arc()
    truthfulqa()
