"""Responses every public page of the register may give."""

from django.shortcuts import render


def not_found(request, message: str):
    """The site's 404 page, saying what was not found."""
    return render(request, "404.html", {"message": message}, status=404)
