"""The written report's formats: file extension → (renderer of the content structure, content type)."""

from flows.reports.annual_docx import annual_report_docx
from flows.reports.annual_pdf import annual_report_pdf
from flows.reports.annual_xlsx import annual_report_workbook

FORMATS = {
    "pdf": (annual_report_pdf, "application/pdf"),
    "xlsx": (annual_report_workbook, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    "docx": (annual_report_docx, "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
}


def render(report: dict, ext: str) -> bytes:
    return FORMATS[ext][0](report)
