"""Excel exports (openpyxl write-only). Text that a spreadsheet would run as a formula is written as text."""

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe(value):
    """A cell value that can never be taken for a formula (CSV/Excel injection)."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def token_list(*, title: str, group: str, batch: int, codes: list[str], ballot_url: str) -> bytes:
    """The list of voting codes of one batch, for distribution (one row per code), printed on A4 portrait with
    the title and header on every page."""
    from flows.excel import writing  # writing uses safe() from here

    wb = writing.new_workbook()
    ws = writing.printed_sheet(wb, "投票码", columns=[8, 18, 60], header_rows=3, landscape=False)
    writing.title_rows(
        ws, f"{title}（{group}，第{batch}批）", f"投票地址：{ballot_url}　每个投票码只能使用一次，请妥善分发。", 3
    )
    writing.header_row(ws, ["序号", "投票码", "扫码链接"])
    for n, code in enumerate(codes, 1):
        ws.append([n, safe(code), safe(f"{ballot_url}#{code}")])
    return writing.to_bytes(wb)
