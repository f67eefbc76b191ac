"""Every front-end asset comes from the project (an intranet reaches no CDN): the API browser, the favicon."""

import re

import pytest
from django.contrib.staticfiles import finders


@pytest.mark.django_db
def test_the_api_browser_loads_its_scripts_from_the_project(client):
    page = client.get("/api/docs/").content.decode()
    assets = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert any(asset.endswith("swagger-ui-bundle.js") for asset in assets), assets
    for asset in assets:
        assert asset.startswith("/"), f"{asset} is not served by the project"
        if asset.startswith("/static/"):
            assert finders.find(asset.removeprefix("/static/")), f"{asset} is not among the static files"


@pytest.mark.django_db
def test_every_page_names_a_favicon_the_project_serves(client):
    page = client.get("/login/").content.decode()
    icon = re.search(r'<link rel="icon" href="([^"]+)"', page)
    assert icon and finders.find(icon.group(1).removeprefix("/static/"))
    assert client.get("/favicon.ico")["Location"] == icon.group(1)
