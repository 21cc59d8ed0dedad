import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "workspace"))

from scheduler import schedule


class ScheduleTest(unittest.TestCase):
    def test_chain(self):
        self.assertEqual(schedule({"c": ["b"], "b": ["a"], "a": []}), ["a", "b", "c"])

    def test_ties_are_alphabetical(self):
        steps = {"deploy": ["build", "test"], "test": ["build"], "build": [], "lint": [], "docs": []}
        self.assertEqual(schedule(steps), ["build", "docs", "lint", "test", "deploy"])

    def test_cycle(self):
        with self.assertRaises(ValueError) as err:
            schedule({"a": ["b"], "b": ["a"], "c": []})
        self.assertTrue("a" in str(err.exception) or "b" in str(err.exception))

    def test_unknown_dependency(self):
        with self.assertRaises(KeyError):
            schedule({"a": ["ghost"]})


if __name__ == "__main__":
    unittest.main()
