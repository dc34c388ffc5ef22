"""Grading support for the course's nbgrader assignments: checks used by hidden tests, and a
parallel, isolated autograder for a whole class."""
