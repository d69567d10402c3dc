"""Standalone verifiers of Zerenzhi's published results: standard library only, no Django, no database.

    python -m zerenzhi_verify draw CERTIFICATE.json    # a spot-check draw certificate (随机抽查抽签证书)
    python -m zerenzhi_verify tally FILE               # a vote tally

Each exits with status 0 only when everything it checked matches.
"""
