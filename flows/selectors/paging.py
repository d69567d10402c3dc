"""Pages of a long list whose length the kept counts already know (`flows.models.counts`): Django's paginator
without its COUNT over the list, which would read every row of a province's list to show fifty of them."""

from django.core.paginator import Page, Paginator


class Counted:
    """A queryset and its length, known beforehand; the paginator slices the queryset for the page it shows."""

    def __init__(self, qs, n: int):
        self.qs, self.n = qs, max(0, int(n))

    def count(self) -> int:
        return self.n

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, k):
        return self.qs[k]


def counted_page(qs, n: int, number, *, per_page: int) -> Page:
    """The page `number` (the last page if past the end, the first if not a number) of `qs`, known to hold `n`
    rows; its object_list is a list (one query)."""
    page = Paginator(Counted(qs, n), per_page).get_page(number)
    page.object_list = list(page.object_list)
    return page
