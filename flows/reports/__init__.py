"""Printable reports built from one plain content structure (selector), rendered as PDF and Excel."""
