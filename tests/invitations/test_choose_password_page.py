"""The choose-password page: languages, the form's checks, CSRF, throttling, headers,
and bad input answered with a clear 4xx."""

import asyncio
import html

import asyncpg
import httpx

from services.invitations.api.csrf import CsrfGuard
from shared.security.tokens import new_token
from tests.support.bus import BusSpy, EventPublisher
from tests.support.invitations import (
    NEW_PASSWORD,
    Invitee,
    SmtpSink,
    accepted_events,
    choose_password,
    invite_and_receive,
    invitee_client,
    open_invite,
)
from tests.support.servers import RunningServer


async def test_the_page_speaks_the_users_language_and_switches(
    invitations: RunningServer, smtp: SmtpSink, events: EventPublisher
) -> None:
    _, mail = await invite_and_receive(events, smtp, Invitee(locale="en", first_name="Grace"))
    async with invitee_client() as browser:
        english = await open_invite(browser, mail.link)
        french = await open_invite(browser, mail.link, lang="fr")
    assert '<html lang="en">' in english.html
    assert "Hello Grace" in english.html
    assert f'href="{mail.link}?lang=fr"' in english.html
    assert '<html lang="fr">' in french.html
    assert "Choisissez votre mot de passe" in french.html


async def test_pages_are_not_cached_nor_leak_the_link(
    invitations: RunningServer, smtp: SmtpSink, events: EventPublisher
) -> None:
    _, mail = await invite_and_receive(events, smtp)
    async with invitee_client() as browser:
        unknown = f"{invitations.url}/invite/x"
        for page in (await open_invite(browser, mail.link), await open_invite(browser, unknown)):
            headers = page.response.headers
            assert headers["cache-control"] == "no-store"
            assert headers["referrer-policy"] == "no-referrer"
            csp = headers["content-security-policy"]
            assert "default-src 'none'" in csp
            assert "form-action 'self'" in csp
            assert "frame-ancestors 'none'" in csp
            assert "unsafe-inline" not in csp


async def test_links_come_from_public_url_not_the_host_header(
    invitations: RunningServer, smtp: SmtpSink, events: EventPublisher
) -> None:
    _, mail = await invite_and_receive(events, smtp)
    async with invitee_client() as browser:
        response = await browser.get(mail.link, headers={"Host": "evil.example"})
    assert "evil.example" not in response.text
    assert f'action="{mail.link}"' in response.text


async def test_the_password_rules_are_explained_in_the_users_language(
    invitations: RunningServer, smtp: SmtpSink, events: EventPublisher
) -> None:
    _, mail = await invite_and_receive(events, smtp, Invitee(locale="fr"))
    async with invitee_client() as browser:
        short = await choose_password(browser, mail.link, "court")
        different = await choose_password(browser, mail.link, NEW_PASSWORD, "something else!")
        still_open = await open_invite(browser, mail.link)
    assert short.status_code == 422
    assert "Utilisez au moins 10 caractères." in html.unescape(short.text)
    assert different.status_code == 422
    assert "Les deux mots de passe sont différents." in html.unescape(different.text)
    assert still_open.status == 200


async def test_a_form_without_its_csrf_token_is_refused(
    invitations: RunningServer, smtp: SmtpSink, bus: BusSpy, events: EventPublisher
) -> None:
    user, mail = await invite_and_receive(events, smtp, Invitee(locale="en"))
    _, other_mail = await invite_and_receive(events, smtp, Invitee(locale="en"))
    async with invitee_client() as browser:
        page = await open_invite(browser, mail.link)
        other_page = await open_invite(browser, other_mail.link)
        forged = await choose_password(browser, mail.link, csrf="forged", lang="en")
        swapped = await choose_password(browser, mail.link, csrf=other_page.csrf, lang="en")
    async with invitee_client() as attacker:  # the right token, but not the victim's cookie
        cross_site = await choose_password(attacker, mail.link, csrf=page.csrf, lang="en")
    for refused in (forged, swapped, cross_site):
        assert refused.status_code == 403
        assert "The form has expired" in refused.text
    async with invitee_client() as browser:
        assert (await open_invite(browser, mail.link)).status == 200
    assert bus.matching("invitation.accepted", subject=user.id) == []


async def test_submissions_are_throttled_per_link(
    invitations: RunningServer, smtp: SmtpSink, events: EventPublisher
) -> None:
    _, mail = await invite_and_receive(events, smtp, Invitee(locale="en"))
    limit = invitations.app.state.settings.accept_attempts_per_link
    async with invitee_client() as browser:
        page = await open_invite(browser, mail.link)
        for _ in range(limit):
            wrong = await choose_password(browser, mail.link, "too short", csrf=page.csrf)
            assert wrong.status_code == 422
        throttled = await choose_password(browser, mail.link, csrf=page.csrf, lang="en")
    assert throttled.status_code == 429
    assert int(throttled.headers["retry-after"]) > 0
    assert "Too many attempts" in throttled.text


async def test_submissions_are_throttled_per_client(invitations: RunningServer) -> None:
    """Many links from one client: each link's own allowance stays unspent."""
    limit = invitations.app.state.settings.accept_attempts_per_client
    guard: CsrfGuard = invitations.app.state.pages.csrf
    nonce = guard.nonce(None)
    async with invitee_client() as browser:
        browser.cookies.set(guard.cookie_name, nonce)
        statuses = []
        for _ in range(limit + 1):
            token = new_token()
            link = f"{invitations.url}/invite/{token}"
            form_token = guard.form_token(nonce, token)
            response = await choose_password(browser, link, csrf=form_token, lang="en")
            statuses.append(response.status_code)
    assert set(statuses[:limit]) == {404}
    assert statuses[-1] == 429


async def test_two_submissions_at_once_accept_once(
    invitations: RunningServer,
    smtp: SmtpSink,
    bus: BusSpy,
    events: EventPublisher,
    invitations_sql: asyncpg.Pool,
) -> None:
    user, mail = await invite_and_receive(events, smtp)
    async with invitee_client() as browser:
        page = await open_invite(browser, mail.link)
        results = await asyncio.gather(
            *(choose_password(browser, mail.link, csrf=page.csrf) for _ in range(3))
        )
    assert sorted(r.status_code for r in results) == [200, 404, 404]
    await bus.wait_for("invitation.accepted", subject=user.id)
    assert await accepted_events(invitations_sql, user.id) == 1


async def test_bad_input_gets_a_clear_4xx(
    invitations: RunningServer, smtp: SmtpSink, events: EventPublisher
) -> None:
    _, mail = await invite_and_receive(events, smtp)
    async with invitee_client() as browser:
        csrf = (await open_invite(browser, mail.link)).csrf
        as_json = await browser.post(mail.link, json={"password": NEW_PASSWORD})
        too_big = await browser.post(mail.link, data={"csrf": csrf, "password": "x" * 20_000})
        not_utf8 = await browser.post(
            mail.link,
            content=b"csrf=" + csrf.encode() + b"&password=%FF%FE",
            headers={"content-type": "application/x-www-form-urlencoded"},
        )
        empty = await browser.post(mail.link, data={"csrf": csrf})
        odd_lang = await open_invite(browser, mail.link, lang="<script>")
    assert as_json.status_code == 415
    assert too_big.status_code == 413
    assert not_utf8.status_code == 400
    assert empty.status_code == 422
    assert odd_lang.status == 200
    assert "<script>" not in odd_lang.html
    for response in (as_json, too_big, not_utf8, empty):
        assert response.headers["content-type"].startswith("text/html")


async def test_the_service_answers_health_checks(invitations: RunningServer) -> None:
    async with httpx.AsyncClient(base_url=invitations.url) as client:
        ready = await client.get("/readyz")
    assert ready.json() == {
        "status": "ready",
        "database": True,
        "migrations": "current",
        "broker": True,
    }
