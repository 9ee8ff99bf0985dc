"""The web app in a real browser: Debian's chromium + chromedriver driven by Selenium, headless."""
import os
import shutil
import time

import pytest
import requests

from conftest import admin_token, auth, wait_for

pytest.importorskip("selenium")
from selenium import webdriver  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

CHROMEDRIVER = shutil.which("chromedriver")
pytestmark = pytest.mark.skipif(CHROMEDRIVER is None or shutil.which("chromium") is None,
                                reason="needs chromium and chromium-driver (make test installs them)")
ARTIFACTS = os.environ.get("CADENZA_ARTIFACTS", "/tmp/cadenza-artifacts")


@pytest.fixture
def browser():
    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium")
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--window-size=1280,900",
                "--mute-audio"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()


def shot(driver, name):
    os.makedirs(ARTIFACTS, exist_ok=True)
    driver.save_screenshot(os.path.join(ARTIFACTS, f"{name}.png"))


def wait(driver, condition, timeout=15):
    # Views re-render by replacing their markup: an element read a moment ago may be gone; look again.
    return WebDriverWait(driver, timeout, ignored_exceptions=(StaleElementReferenceException, NoSuchElementException)).until(
        lambda d: condition(d))


def settled(driver, route):
    wait(driver, lambda d: d.find_element(By.TAG_NAME, "html").get_attribute("data-route") == route)


def sign_in(driver, server, username="root", password="admin-password-1"):
    driver.get(server.url + "/")
    settled(driver, "/login")
    driver.find_element(By.ID, "username").send_keys(username)
    driver.find_element(By.ID, "password").send_keys(password)
    driver.find_element(By.CSS_SELECTOR, "#login button[type=submit]").click()
    settled(driver, "/")


def severe_console_errors(driver):
    """Script errors and failed loads; an API's 4xx answer that the page shows in words is not one."""
    return [e for e in driver.get_log("browser") if e["level"] == "SEVERE" and "favicon" not in e["message"]
            and not (e.get("source") == "network" and " status of 4" in e["message"] and "/api/v1/" in e["message"])]


def test_static_files_are_compressed_cached_and_locked_down(server_with_music):
    server, _ = server_with_music
    shell = requests.get(server.url + "/", headers={"Accept-Encoding": "gzip"})
    assert shell.status_code == 200 and "<cz-player>" in shell.text
    assert "script-src" not in shell.headers["Content-Security-Policy"] or "'unsafe-inline'" not in shell.headers["Content-Security-Policy"]
    assert shell.headers.get("Content-Encoding") == "gzip" and shell.headers["ETag"]
    again = requests.get(server.url + "/", headers={"If-None-Match": shell.headers["ETag"]})
    assert again.status_code == 304
    total = 0
    for path in ["/", "/app/style.css", "/app/main.js", "/app/router.js", "/app/store.js", "/app/api.js", "/app/html.js",
                 "/app/player.js", "/app/format.js", "/app/components.js", "/app/views/home.js"]:
        r = requests.get(server.url + path, headers={"Accept-Encoding": "gzip"}, stream=True)
        assert r.status_code == 200, path
        total += len(r.raw.read(decode_content=False))
    assert total < 200_000, total
    assert requests.get(server.url + "/app/../Public/index.html").status_code == 404
    assert requests.get(server.url + "/app/nope.js").status_code == 404


def test_sign_in_browse_play_and_the_listen_arrives_in_history(server_with_music, browser):
    server, token = server_with_music
    sign_in(browser, server)
    assert "Welcome, root" in browser.find_element(By.TAG_NAME, "h1").text
    browser.get(server.url + "/#/albums")
    settled(browser, "/albums")
    browser.find_element(By.LINK_TEXT, "Glass Echo").click()
    wait(browser, lambda d: d.find_element(By.TAG_NAME, "h1").text == "Glass Echo")
    shot(browser, "album")
    browser.find_element(By.ID, "play-all").click()
    audio_time = lambda: browser.execute_script("return document.querySelector('cz-player audio').currentTime")
    wait(browser, lambda d: audio_time() > 1.0)
    assert browser.execute_script("return document.querySelector('cz-player audio').paused") is False
    assert browser.find_element(By.CSS_SELECTOR, "cz-player .title").text == "Night River"
    assert browser.execute_script("return navigator.mediaSession.metadata.title") == "Night River"
    # Past half of the 4-second track the play is a listen: visible to every client.
    listens = lambda: requests.get(server.url + "/1/user/root/listens", headers={"Authorization": f"Token {token}"}).json()["payload"]["listens"]
    assert wait_for(lambda: any(l["track_metadata"]["track_name"] == "Night River" for l in listens()), timeout=15)
    # Queue: two tracks, reorder by keyboard-reachable buttons, persisted across a reload.
    browser.find_element(By.CSS_SELECTOR, "button[data-act=queue]").click()
    items = lambda: [li.find_element(By.CSS_SELECTOR, "button[data-act=jump]").text for li in browser.find_elements(By.CSS_SELECTOR, "#queue li")]
    assert items() == ["Night River", "Paper Static"]
    browser.find_element(By.CSS_SELECTOR, '#queue li[data-q="1"] button[data-act=up]').click()
    assert items() == ["Paper Static", "Night River"]
    browser.refresh()
    settled(browser, "/albums/1") if "albums/1" in browser.current_url else None
    wait(browser, lambda d: d.execute_script("return JSON.parse(localStorage.getItem('cadenza.queue')).tracks.length") == 2)
    assert browser.execute_script("return document.querySelector('cz-player audio').paused") is True
    assert not severe_console_errors(browser)


def test_history_updates_live_when_another_client_scrobbles(server_with_music, browser):
    server, token = server_with_music
    sign_in(browser, server)
    browser.get(server.url + "/#/history")
    settled(browser, "/history")
    time.sleep(0.5)   # the event stream is open
    now = int(time.time())
    r = requests.post(server.url + "/1/submit-listens", headers={"Authorization": f"Token {token}"},
                      json={"listen_type": "single", "payload": [{"listened_at": now - 5, "track_metadata": {
                          "artist_name": "Radio <b>Head</b>", "track_name": "Live From Elsewhere"}}]})
    assert r.status_code == 200, r.text
    wait(browser, lambda d: "Live From Elsewhere" in d.find_element(By.ID, "listens").text)
    # User text is escaped, never markup.
    assert "Radio <b>Head</b>" in browser.find_element(By.ID, "listens").text
    assert not browser.find_elements(By.CSS_SELECTOR, "#listens b")
    shot(browser, "history")


def test_search_settings_mobile_and_dark(server_with_music, browser):
    server, token = server_with_music
    sign_in(browser, server)
    browser.find_element(By.ID, "search").send_keys("lant")
    wait(browser, lambda d: "Lantern" in d.find_element(By.ID, "main").text)
    browser.get(server.url + "/#/settings")
    settled(browser, "/settings")
    wait(browser, lambda d: d.find_element(By.ID, "tz").get_attribute("value") == "UTC")
    tz = browser.find_element(By.ID, "tz")
    tz.clear()
    tz.send_keys("Not/AZone")
    browser.find_element(By.CSS_SELECTOR, "#listen-form button").click()
    wait(browser, lambda d: "time zone" in d.find_element(By.ID, "settings-status").text)   # the API's words, shown
    browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": [{"name": "prefers-color-scheme", "value": "dark"},
                                                                         {"name": "prefers-reduced-motion", "value": "reduce"}]})
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {"width": 390, "height": 844, "deviceScaleFactor": 1, "mobile": True})
    browser.get(server.url + "/#/albums")
    settled(browser, "/albums")
    background = browser.execute_script("return getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(18, 18, 18)"
    columns = browser.execute_script("return getComputedStyle(document.querySelector('.grid')).gridTemplateColumns.split(' ').length")
    assert columns == 2
    assert browser.find_element(By.CSS_SELECTOR, "cz-player").is_displayed()
    shot(browser, "albums-mobile-dark")


def test_main_pages_have_no_serious_accessibility_violations(server_with_music, browser):
    from selenium_axe_python import Axe
    server, token = server_with_music
    sign_in(browser, server)
    for route in ["/", "/albums", "/albums/1", "/artists", "/genres", "/playlists", "/history", "/settings", "/stats", "/upload", "/admin"]:
        browser.get(server.url + "/#" + route)
        settled(browser, route)
        time.sleep(0.3)
        axe = Axe(browser)
        axe.inject()
        result = axe.run()
        serious = [v["id"] for v in result["violations"] if v["impact"] in ("serious", "critical")]
        assert not serious, (route, serious)
        shot(browser, "page" + route.replace("/", "_"))


def test_stats_upload_and_admin_pages(server_with_music, browser, tmp_path):
    from media import make_audio
    server, token = server_with_music
    now = int(time.time())
    listens = [{"listened_at": now - 60 * (i + 1), "track_metadata": {"artist_name": artist, "track_name": f"Song {i}"}}
               for i, artist in enumerate(["Alpha"] * 3 + ["Beta"])]
    assert requests.post(server.url + "/1/submit-listens", headers={"Authorization": f"Token {token}"},
                         json={"listen_type": "import", "payload": listens}).status_code == 200
    sign_in(browser, server)
    browser.get(server.url + "/#/stats?range=all_time")
    settled(browser, "/stats")
    wait(browser, lambda d: "Alpha" in d.find_element(By.ID, "artists").text)
    labels = [t.text for t in browser.find_elements(By.CSS_SELECTOR, "#artists svg text.label")]
    assert labels[:2] == ["Alpha", "Beta"]
    assert len(browser.find_elements(By.CSS_SELECTOR, "#daily svg rect")) == 7 * 24
    shot(browser, "stats")

    song = make_audio(str(tmp_path / "upload.mp3"), seconds=2, title="Uploaded Song", artist="Uploader", album="Up")
    browser.get(server.url + "/#/upload")
    settled(browser, "/upload")
    browser.find_element(By.ID, "files").send_keys(song)
    wait(browser, lambda d: "imported" in d.find_element(By.ID, "uploads").text, timeout=30)
    tracks = requests.get(server.url + "/api/v1/search?q=Uploaded", headers=auth(token)).json()["tracks"]
    assert [t["title"] for t in tracks] == ["Uploaded Song"]

    browser.get(server.url + "/#/admin")
    settled(browser, "/admin")
    wait(browser, lambda d: "root" in d.find_element(By.ID, "users").text)
    browser.find_element(By.ID, "nu-name").send_keys("newbie")
    browser.find_element(By.ID, "nu-pass").send_keys("newbie-password")
    browser.find_element(By.CSS_SELECTOR, "#new-user button").click()
    wait(browser, lambda d: "newbie" in d.find_element(By.ID, "users").text)
    assert "newbie" in [u["username"] for u in requests.get(server.url + "/api/v1/users", headers=auth(token)).json()]
    assert not severe_console_errors(browser)


def test_playlists_and_stars(server_with_music, browser):
    server, token = server_with_music
    sign_in(browser, server)
    browser.get(server.url + "/#/playlists")
    settled(browser, "/playlists")
    browser.find_element(By.ID, "pl-name").send_keys("Road trip")
    browser.find_element(By.CSS_SELECTOR, "#new-playlist button").click()
    wait(browser, lambda d: "Road trip" in d.find_element(By.ID, "playlists").text)
    # Add both Glass Echo tracks from the album page, through the dialog.
    browser.get(server.url + "/#/albums/1")
    settled(browser, "/albums/1")
    for row in range(2):
        browser.find_elements(By.CSS_SELECTOR, "button[data-add-to-playlist]")[row].click()
        dialog = wait(browser, lambda d: d.find_element(By.ID, "add-dialog"))
        wait(browser, lambda d: dialog.get_attribute("open") is not None)
        dialog.find_element(By.CSS_SELECTOR, "button[value=add]").click()
        wait(browser, lambda d: "Added to the playlist" in d.find_element(By.ID, "toast").text)
        browser.execute_script("document.getElementById('toast').textContent = ''")
    browser.find_elements(By.CSS_SELECTOR, "button[data-star]")[1].click()
    wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "button[data-star]")[1].get_attribute("aria-pressed") == "true")
    playlist = requests.get(server.url + "/api/v1/playlists", headers=auth(token)).json()[0]
    assert playlist["name"] == "Road trip" and playlist["trackCount"] == 2
    browser.get(server.url + f"/#/playlists/{playlist['id']}")
    settled(browser, f"/playlists/{playlist['id']}")
    titles = lambda: browser.execute_script(
        "return [...document.querySelectorAll('#pl-tracks li')].map(li => li.firstChild.textContent.trim())")
    assert titles() == ["Night River", "Paper Static"]
    browser.find_element(By.CSS_SELECTOR, '#pl-tracks li[data-i="1"] button[data-move="-1"]').click()
    wait(browser, lambda d: titles() == ["Paper Static", "Night River"])
    stored = requests.get(server.url + f"/api/v1/playlists/{playlist['id']}", headers=auth(token)).json()
    assert [t["title"] for t in stored["tracks"]] == ["Paper Static", "Night River"]
    # The same playlist is what Subsonic apps see.
    browser.get(server.url + "/#/")
    settled(browser, "/")
    wait(browser, lambda d: "Paper Static" in d.find_element(By.ID, "starred").text)
    assert not severe_console_errors(browser)


def test_theme_shortcut_help_genres_album_star_and_password(server_with_music, browser):
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import Select
    server, token = server_with_music
    sign_in(browser, server)
    browser.get(server.url + "/#/settings")
    settled(browser, "/settings")
    Select(browser.find_element(By.ID, "theme")).select_by_value("dark")
    wait(browser, lambda d: d.execute_script("return getComputedStyle(document.body).backgroundColor") == "rgb(18, 18, 18)")
    browser.find_element(By.ID, "pw-current").send_keys("wrong-password")
    browser.find_element(By.ID, "pw-new").send_keys("another-password-1")
    browser.find_element(By.CSS_SELECTOR, "#pw-form button").click()
    wait(browser, lambda d: d.find_element(By.ID, "settings-status").text not in ("", "Saved."))
    assert "changed" not in browser.find_element(By.ID, "settings-status").text
    browser.find_element(By.TAG_NAME, "body").send_keys("?")
    wait(browser, lambda d: d.find_element(By.ID, "help-dialog").get_attribute("open") is not None)
    browser.find_element(By.CSS_SELECTOR, "#help-dialog button").click()
    browser.get(server.url + "/#/genres")
    settled(browser, "/genres")
    browser.find_element(By.LINK_TEXT, "Jazz").click()
    wait(browser, lambda d: "Albums: Jazz" in d.find_element(By.TAG_NAME, "h1").text)
    wait(browser, lambda d: "Orbit" in d.find_element(By.ID, "albums").text)
    assert "Glass Echo" not in browser.find_element(By.ID, "albums").text
    browser.find_element(By.PARTIAL_LINK_TEXT, "Orbit").click()
    star = wait(browser, lambda d: d.find_element(By.ID, "star-album"))
    wait(browser, lambda d: d.find_element(By.ID, "star-album").get_attribute("aria-pressed") == "false")
    browser.find_element(By.ID, "star-album").click()
    wait(browser, lambda d: d.find_element(By.ID, "star-album").get_attribute("aria-pressed") == "true")
    assert [a["title"] for a in requests.get(server.url + "/api/v1/stars", headers=auth(token)).json()["albums"]] == ["Orbit"]
    assert not severe_console_errors(browser)
