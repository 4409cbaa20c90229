"""Reports: CSV tables and the self-contained HTML page, written as a set."""
from verify.report.writer import write_reports

__all__ = ["write_reports"]
