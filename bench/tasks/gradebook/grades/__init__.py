"""Course grading: weighted averages, letter grades and per-class reports."""

from grades.report import StudentResult, class_report, grade_distribution
from grades.scores import letter_grade, weighted_average

__all__ = [
    "StudentResult",
    "class_report",
    "grade_distribution",
    "letter_grade",
    "weighted_average",
]
