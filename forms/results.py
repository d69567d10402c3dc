"""What the settling screen posts: per result, the rating it is lowered to and why."""

import re

LOWER_FIELD = re.compile(r"^lower_(\d{1,12})$")


def lowered_ratings(post) -> dict[int, tuple[str, str]]:
    """{assessment id: (rating, reason)} for every row where a lower rating was chosen (the service checks them)."""
    out = {}
    for key, rating in post.items():
        m = LOWER_FIELD.match(key)
        if m and rating:
            pk = int(m.group(1))
            out[pk] = (rating, post.get(f"reason_{pk}", ""))
    return out
