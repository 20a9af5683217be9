"""Public pages of the register."""

from django.shortcuts import get_object_or_404, render

from .models import Area, Initiative


def initiative_detail(request, slug):
    initiative = get_object_or_404(Initiative.objects.published().for_listing(), slug=slug)
    return render(request, "initiatives/detail.html", {"initiative": initiative})


def area_detail(request, slug):
    area = get_object_or_404(Area, slug=slug)
    return render(request, "initiatives/area_detail.html", {"area": area})
