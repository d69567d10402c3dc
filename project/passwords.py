"""How passwords are stored: Argon2id with the parameters OWASP's Password Storage Cheat Sheet gives as its first
choice (19 MiB of memory, 2 passes, 1 lane).

Django's default, PBKDF2-SHA256 at 1,000,000 iterations, spends about 230 ms of a core on every login, and on a
deadline day the logins were the largest single cost of the server (the README's capacity plan). Argon2id at these
parameters spends about 21 ms and 19 MiB, and its memory makes a guessing machine pay far more per guess than
PBKDF2's iterations do. Django's own Argon2 hasher asks for 100 MiB and 8 lanes per login: 16 request threads at
once would hold 1.6 GB.

Hashes stored before (PBKDF2) still verify, through the hashers listed after this one in settings, and are
stored again as Argon2id at the next successful login (Django's `check_password` does this).
"""

from django.contrib.auth.hashers import Argon2PasswordHasher


class Argon2idPasswordHasher(Argon2PasswordHasher):
    time_cost = 2
    memory_cost = 19 * 1024  # KiB
    parallelism = 1
