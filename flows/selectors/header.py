"""The header's badges on every page: my open tasks and my unread notifications."""

from flows.models.prepared import prepared_cursor


def header_counts(user) -> dict:
    """The two counts, read now in one statement (what an open page re-reads when its socket says the inbox
    changed)."""
    return _read(user, menu=False)


def page_header(user) -> dict:
    """What the header of a page shows for `user`: the two counts and (for an active user who is not a superuser)
    the menu's answers, in one statement at most once per request, kept on the user object like the menu's answers
    (`flows.selectors.menu`); my tasks counts them in its own statement instead. Asked while the page is drawn,
    after the view has done its work."""
    cached = getattr(user, "_page_header", None)
    if cached is None:
        cached = user._page_header = _read(user, menu=True)
    return cached


def _read(user, *, menu: bool) -> dict:
    from flows.selectors.inbox import counts_sql
    from flows.selectors.menu import asks_in_sql, menu_sql, remember_answers

    sql, params = counts_sql(user)
    asks = menu and asks_in_sql(user)
    if asks:
        menu_part, menu_params = menu_sql(user)
        sql, params = f"{sql}, {menu_part}", [*params, *menu_params]
    with prepared_cursor() as cur:  # asked by every page: on PostgreSQL planned once per connection
        cur.execute(f"SELECT {sql}", params)  # noqa: S608 (fixed fragments; every value is a parameter)
        open_tasks, unread, *menu_values = cur.fetchone()
    if asks:
        remember_answers(user, menu_values)
    return {"open_tasks": open_tasks, "unread_notifications": unread}
