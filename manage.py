#!/usr/bin/env python
"""Django's command-line utility for the Community Health Directory."""

import os
import sys


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "directory.settings")
    # Commands (imports, migrations) get the longer database time limits (settings.py).
    os.environ.setdefault("DJANGO_PROCESS", "command")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
