#!/usr/bin/env python
"""Kept for Django habit; `empact` does the same."""

from empact.cli import main

if __name__ == "__main__":
    main()
