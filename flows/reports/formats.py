"""The written report's formats: file extension → (renderer of the content structure, content type)."""

from ..excel.annual_report import annual_report_workbook
from .annual_docx import annual_report_docx
from .annual_pdf import annual_report_pdf

FORMATS = {
    "pdf": (annual_report_pdf, "application/pdf"),
    "xlsx": (annual_report_workbook, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    "docx": (annual_report_docx, "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
}


def render(report: dict, ext: str) -> bytes:
    return FORMATS[ext][0](report)
