"""Shared fixtures: the live server under test and its API tokens.

YDX_TEST_URL        base URL of a running `ydx demo` (scripts/test starts one)
YDX_TEST_TOKEN      API token of the Yamaguchi City organisation (yamaguchi-city)
YDX_TEST_OTHER_TOKEN  API token of another organisation (hagi-city)
"""

import os

import ckanapi
import pytest
import requests


@pytest.fixture(scope="session")
def url():
    u = os.environ.get("YDX_TEST_URL", "").rstrip("/")
    if not u:
        pytest.skip("YDX_TEST_URL is not set: start `ydx demo` and point it there")
    return u


def _token(name):
    t = os.environ.get(name, "").strip()
    if not t:
        pytest.skip(f"{name} is not set (see `ydx token create`)")
    return t


@pytest.fixture(scope="session")
def token():
    return _token("YDX_TEST_TOKEN")


@pytest.fixture(scope="session")
def other_token():
    return _token("YDX_TEST_OTHER_TOKEN")


@pytest.fixture(scope="session")
def ckan(url):
    """An anonymous client."""
    with ckanapi.RemoteCKAN(url, user_agent="ydx-tests") as c:
        yield c


@pytest.fixture(scope="session")
def city(url, token):
    """A client with the Yamaguchi City token."""
    with ckanapi.RemoteCKAN(url, apikey=token, user_agent="ydx-tests") as c:
        yield c


@pytest.fixture(scope="session")
def http():
    with requests.Session() as s:
        yield s
