"""Imported only if verify ignored --allow-import: then it leaves a canary."""
from pathlib import Path

Path("verify-canary").touch()
Path(__file__).with_name("verify-canary").touch()


def f(x):
    return x ** 2
