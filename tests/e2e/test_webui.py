"""The web app in a real browser: Debian's chromium + chromedriver driven by Selenium, headless."""
import os
import shutil
import subprocess
import time

import pytest
import requests

from conftest import BIN, Server, admin_token, auth, wait_for

pytest.importorskip("selenium")
from selenium import webdriver  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException, TimeoutException  # noqa: E402
from selenium.webdriver.common.action_chains import ActionChains  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.support.ui import Select, WebDriverWait  # noqa: E402

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


def press(driver, element):
    """Clicks an element as a mouse user would: scrolled into view, the pointer over its card (play
    buttons on artwork show on hover), and through its ⋯ menu when it is a menu item."""
    toggle = driver.execute_script("const m = arguments[0].closest('.menu'); return m && m.hidden ? m.previousElementSibling : null", element)
    target = toggle or element
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", target)
    host = driver.execute_script("return arguments[0].closest('.card') || arguments[0]", target)
    ActionChains(driver).move_to_element(host).perform()
    if toggle:
        toggle.click()
        wait(driver, lambda d: element.is_displayed())
    element.click()


def assert_accessible(driver, label):
    from selenium_axe_python import Axe
    axe = Axe(driver)
    axe.inject()
    result = axe.run()
    serious = [(v["id"], [n["target"] for n in v["nodes"]][:3]) for v in result["violations"] if v["impact"] in ("serious", "critical")]
    assert not serious, (label, serious)


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
    print(f"first load of the shell, styles and home modules: {total} bytes compressed")
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


SIZES = {"desktop": (1400, 900), "phone": (390, 844)}


def viewport(driver, size):
    width, height = SIZES[size]
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": size == "phone"})


def test_every_view_in_both_themes_and_sizes_is_accessible_and_error_free(server_with_music, browser):
    """Each view at 1400×900 and 390×844, light and dark: no serious or critical axe violation, no
    console error, and a screenshot in the artifacts for a person to review."""
    server, token = server_with_music
    playlist = requests.post(server.url + "/api/v1/playlists", json={"name": "Evening"}, headers=auth(token)).json()["id"]
    assert requests.post(server.url + "/api/v1/stations", json={"slug": "matrix", "name": "Matrix FM"}, headers=auth(token)).status_code == 201
    assert requests.post(server.url + "/api/v1/rooms", json={"slug": "matrix", "name": "Matrix Party"}, headers=auth(token)).status_code == 201
    tracks = requests.get(server.url + "/api/v1/tracks", headers=auth(token)).json()["items"]
    assert requests.post(server.url + "/api/v1/rooms/matrix/suggestions", json={"trackId": tracks[0]["id"]}, headers=auth(token)).status_code == 201
    sign_in(browser, server)
    routes = ["/", "/albums", "/albums/1", "/artists", "/artists/1", "/genres", "/playlists", f"/playlists/{playlist}", "/search",
              "/search?q=glass", "/history", "/stats", "/upload", "/settings", "/notifications", "/federation", "/admin", "/radio", "/radio/matrix", "/party", "/party/matrix"]
    visits = 0
    for theme in ("light", "dark"):
        browser.execute_script("localStorage.setItem('cadenza.theme', arguments[0])", theme)
        for size in SIZES:
            viewport(browser, size)
            for route in routes:
                visits += 1
                browser.get(f"{server.url}/?visit={visits}#{route}")   # a new query: a full load with the theme
                settled(browser, route.split("?")[0])
                time.sleep(0.3)
                assert browser.execute_script("return document.documentElement.dataset.theme") == theme
                label = f"{route} {size} {theme}"
                assert_accessible(browser, label)
                assert not severe_console_errors(browser), label
                # The page itself never wears the focus frame (it takes focus after each navigation).
                assert browser.execute_script("return getComputedStyle(document.getElementById('main')).outlineStyle") == "none", label
                shot(browser, f"view{route.replace('/', '_').replace('?', '_').replace('=', '-')}-{size}-{theme}")
    browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    browser.execute_script("localStorage.removeItem('cadenza.theme')")


def test_skip_link_moves_focus_to_the_page(server_with_music, browser):
    server, token = server_with_music
    sign_in(browser, server)
    # The skip link moves focus to the page's content and stays on the page.
    browser.get(server.url + "/#/albums")
    settled(browser, "/albums")
    skip = browser.find_element(By.CSS_SELECTOR, "a.skip")
    browser.execute_script("arguments[0].focus()", skip)
    assert skip.location["x"] >= 0   # shown while focused
    skip.send_keys(Keys.ENTER)
    wait(browser, lambda d: d.switch_to.active_element.get_attribute("id") == "main")
    assert browser.find_element(By.TAG_NAME, "h1").text == "Albums" and browser.current_url.endswith("#/albums")


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


# HTML5 drag and drop cannot be driven by Selenium's mouse in Chromium; the events are fired as a
# browser fires them. Each returns whether the page accepted it (preventDefault on dragover/drop).
DRAG = """
const [from, to] = [document.querySelector(arguments[0]), document.querySelector(arguments[1])];
const data = new DataTransfer();
const fire = (el, type) => !el.dispatchEvent(new DragEvent(type, {bubbles: true, cancelable: true, dataTransfer: data}));
fire(from, 'dragstart');
fire(to, 'dragenter');
const accepted = [fire(to, 'dragover'), fire(to, 'drop')];
fire(from, 'dragend');
return accepted;
"""


def ids_by_title(server, token):
    return {t["title"]: t["id"] for t in requests.get(server.url + "/api/v1/tracks", headers=auth(token)).json()["items"]}


def album_id(server, token, title):
    return next(a["id"] for a in requests.get(server.url + "/api/v1/albums", headers=auth(token)).json()["items"] if a["title"] == title)


def open_album(browser, server, token, title):
    """Opens the album page of `title` and waits until it is drawn; answers its route."""
    route = f"/albums/{album_id(server, token, title)}"
    browser.get(server.url + "/#" + route)
    settled(browser, route)
    return route


def queue_two_albums_and_open_the_queue(browser, server, token):
    """Glass Echo (Night River, Paper Static) then Orbit (Lantern) into the queue, shown."""
    for album in ["Glass Echo", "Orbit"]:
        route = open_album(browser, server, token, album)
        browser.find_element(By.ID, "queue-all").click()
    browser.find_element(By.CSS_SELECTOR, "button[data-act=queue]").click()
    return route


def test_queue_and_playlist_reorder_by_drag_and_drop(server_with_music, browser):
    server, token = server_with_music
    sign_in(browser, server)
    route = queue_two_albums_and_open_the_queue(browser, server, token)
    queue = lambda: [b.text for b in browser.find_elements(By.CSS_SELECTOR, "#queue li button[data-act=jump]")]
    wait(browser, lambda d: queue() == ["Night River", "Paper Static", "Lantern"])
    assert browser.find_element(By.CSS_SELECTOR, '#queue li[data-q="0"]').get_attribute("draggable") == "true"
    assert browser.execute_script(DRAG, '#queue li[data-q="0"]', '#queue li[data-q="2"]') == [True, True]
    assert queue() == ["Paper Static", "Lantern", "Night River"]
    shot(browser, "queue-after-drag")
    browser.refresh()
    settled(browser, route)
    browser.find_element(By.CSS_SELECTOR, "button[data-act=queue]").click()
    wait(browser, lambda d: queue() == ["Paper Static", "Lantern", "Night River"])   # the dragged order survived the reload

    ids = ids_by_title(server, token)
    r = requests.post(server.url + "/api/v1/playlists", headers=auth(token),
                      json={"name": "Drag me", "trackIds": [ids["Night River"], ids["Paper Static"], ids["Lantern"]]})
    assert r.status_code == 201, r.text
    playlist = r.json()["id"]
    browser.get(server.url + f"/#/playlists/{playlist}")
    settled(browser, f"/playlists/{playlist}")
    assert browser.execute_script(DRAG, '#pl-tracks li[data-i="2"]', '#pl-tracks li[data-i="0"]') == [True, True]
    stored = lambda: [t["title"] for t in requests.get(server.url + f"/api/v1/playlists/{playlist}", headers=auth(token)).json()["tracks"]]
    assert wait_for(lambda: stored() == ["Lantern", "Night River", "Paper Static"])
    wait(browser, lambda d: "Saved." in d.find_element(By.ID, "pl-status").text)
    # Dropping a row on itself changes nothing, and the keyboard buttons are still there.
    browser.execute_script(DRAG, '#pl-tracks li[data-i="1"]', '#pl-tracks li[data-i="1"]')
    assert browser.find_element(By.CSS_SELECTOR, '#pl-tracks li[data-i="1"] button[data-move="1"]').is_displayed()
    assert stored() == ["Lantern", "Night River", "Paper Static"]
    assert not severe_console_errors(browser)


def test_star_an_artist_and_rate_artists_albums_and_tracks(server_with_music, browser):
    server, token = server_with_music
    kaloven = requests.get(server.url + "/api/v1/search?q=Kaloven", headers=auth(token)).json()["artists"][0]["id"]
    glass = album_id(server, token, "Glass Echo")
    ids = ids_by_title(server, token)
    ratings = lambda: requests.get(server.url + "/api/v1/ratings", headers=auth(token)).json()
    sign_in(browser, server)
    browser.get(server.url + f"/#/artists/{kaloven}")
    settled(browser, f"/artists/{kaloven}")
    wait(browser, lambda d: d.find_element(By.ID, "star-artist").get_attribute("aria-pressed") == "false")
    browser.find_element(By.ID, "star-artist").click()
    wait(browser, lambda d: d.find_element(By.ID, "star-artist").get_attribute("aria-pressed") == "true")
    assert [a["name"] for a in requests.get(server.url + "/api/v1/stars", headers=auth(token)).json()["artists"]] == ["Kaloven"]
    browser.find_element(By.CSS_SELECTOR, '.rating[data-rate=artist] [data-n="5"]').click()
    assert wait_for(lambda: ratings()["artists"] == {kaloven: 5})
    assert browser.find_element(By.CSS_SELECTOR, '.rating[data-rate=artist]').get_attribute("aria-label") == "Your rating of Kaloven"
    shot(browser, "artist")

    browser.get(server.url + "/#/")
    settled(browser, "/")
    link = wait(browser, lambda d: d.find_element(By.CSS_SELECTOR, "#starred-artists a"))
    assert link.text == "Kaloven" and link.get_attribute("href").endswith(f"#/artists/{kaloven}")

    browser.get(server.url + f"/#/albums/{glass}")
    settled(browser, f"/albums/{glass}")
    browser.find_element(By.CSS_SELECTOR, '.rating[data-rate=album] [data-n="4"]').click()
    assert wait_for(lambda: ratings()["albums"] == {glass: 4})
    # By keyboard: one Tab stop per rating, arrows change it, Delete clears it.
    first = browser.find_element(By.CSS_SELECTOR, f'.rating[data-rate=track][data-id="{ids["Night River"]}"] [tabindex="0"]')
    first.send_keys(Keys.ARROW_RIGHT, Keys.ARROW_RIGHT, Keys.ARROW_RIGHT)
    assert wait_for(lambda: ratings()["tracks"] == {ids["Night River"]: 3})
    focused = browser.switch_to.active_element
    assert focused.get_attribute("data-n") == "3" and focused.get_attribute("aria-checked") == "true"
    focused.send_keys(Keys.DELETE)
    assert wait_for(lambda: ratings()["tracks"] == {})
    browser.find_element(By.CSS_SELECTOR, f'.rating[data-rate=track][data-id="{ids["Paper Static"]}"] [data-n="2"]').click()
    assert wait_for(lambda: ratings()["tracks"] == {ids["Paper Static"]: 2})
    # Clicking the current star clears it; clicking again sets it.
    star = f'.rating[data-rate=track][data-id="{ids["Paper Static"]}"] [data-n="2"]'
    browser.find_element(By.CSS_SELECTOR, star).click()
    assert wait_for(lambda: ratings()["tracks"] == {})
    browser.find_element(By.CSS_SELECTOR, star).click()
    assert wait_for(lambda: ratings()["tracks"] == {ids["Paper Static"]: 2})
    browser.refresh()
    settled(browser, f"/albums/{glass}")
    value = lambda css: browser.find_element(By.CSS_SELECTOR, css).get_attribute("data-value")
    wait(browser, lambda d: value(".rating[data-rate=album]") == "4")
    assert value(f'.rating[data-rate=track][data-id="{ids["Paper Static"]}"]') == "2" and value(f'.rating[data-rate=track][data-id="{ids["Night River"]}"]') == "0"
    assert [b.text for b in browser.find_elements(By.CSS_SELECTOR, ".rating[data-rate=album] button")] == ["★"] * 4 + ["☆"]
    assert browser.find_element(By.CSS_SELECTOR, '.rating[data-rate=album] [data-n="4"]').get_attribute("aria-checked") == "true"
    shot(browser, "album-ratings")
    assert not severe_console_errors(browser)


def test_search_as_you_type_finds_playlists(server_with_music, browser):
    server, token = server_with_music
    ids = ids_by_title(server, token)
    r = requests.post(server.url + "/api/v1/playlists", headers=auth(token), json={"name": "<i>Lantern</i> nights", "trackIds": [ids["Lantern"]]})
    assert r.status_code == 201, r.text
    sign_in(browser, server)
    browser.find_element(By.ID, "search").send_keys("lantern")
    found = wait(browser, lambda d: d.find_element(By.ID, "found-playlists"))
    assert "<i>Lantern</i> nights" in found.text and not found.find_elements(By.TAG_NAME, "i")   # escaped, not markup
    assert "1 tracks" in found.text or "1 track" in found.text
    shot(browser, "search-playlists")
    found.find_element(By.TAG_NAME, "a").click()
    settled(browser, f"/playlists/{r.json()['id']}")
    assert browser.find_element(By.TAG_NAME, "h1").text == "<i>Lantern</i> nights"


def test_upload_into_a_chosen_new_library(server_with_music, browser, tmp_path):
    from media import make_audio
    server, token = server_with_music
    sign_in(browser, server)
    browser.get(server.url + "/#/upload")
    settled(browser, "/upload")
    options = lambda: [o.text for o in browser.find_elements(By.CSS_SELECTOR, "#upload-library option")]
    wait(browser, lambda d: options())
    assert all("music" not in o.lower() or "uploads" in o.lower() for o in options())   # folder libraries are not upload targets
    press(browser, browser.find_element(By.CSS_SELECTOR, "details summary"))
    browser.find_element(By.ID, "nl-name").send_keys("Band demos")
    Select(browser.find_element(By.ID, "nl-visibility")).select_by_value("instance")
    browser.find_element(By.CSS_SELECTOR, "#new-library button").click()
    wait(browser, lambda d: "Band demos" in d.find_element(By.ID, "upload-status").text)
    library = next(l for l in requests.get(server.url + "/api/v1/libraries", headers=auth(token)).json() if l["name"] == "Band demos")
    assert library["kind"] == "uploads" and library["visibility"] == "instance"
    assert Select(browser.find_element(By.ID, "upload-library")).first_selected_option.get_attribute("value") == library["id"]
    shot(browser, "upload-library")
    song = make_audio(str(tmp_path / "demo.mp3"), seconds=2, title="Demo Take", artist="The Band", album="Demos")
    browser.find_element(By.ID, "files").send_keys(song)
    wait(browser, lambda d: "imported" in d.find_element(By.ID, "uploads").text, timeout=30)
    files = requests.get(server.url + f"/api/v1/libraries/{library['id']}/files", headers=auth(token)).json()["items"]
    assert [f["status"] for f in files] == ["imported"]
    # A library the user may not upload into is refused in words.
    browser.execute_script("const o = document.createElement('option'); o.value = '999999'; o.textContent = 'gone';"
                           "document.getElementById('upload-library').append(o); document.getElementById('upload-library').value = '999999';")
    browser.find_element(By.ID, "files").send_keys(song)
    wait(browser, lambda d: "not found" in d.find_elements(By.CSS_SELECTOR, "#uploads li")[-1].text.lower())
    assert not severe_console_errors(browser)


def test_admin_changes_roles_and_manages_folder_libraries(server_with_music, browser, tmp_path):
    from media import make_audio
    server, token = server_with_music
    r = requests.post(server.url + "/api/v1/users", headers=auth(token), json={"username": "newbie", "password": "newbie-password"})
    assert r.status_code == 201, r.text
    newbie = r.json()["id"]
    users = lambda: {u["username"]: u for u in requests.get(server.url + "/api/v1/users", headers=auth(token)).json()}
    root = users()["root"]["id"]
    sign_in(browser, server)
    browser.get(server.url + "/#/admin")
    settled(browser, "/admin")
    role = lambda who: Select(browser.find_element(By.ID, f"role-{who}"))
    role(newbie).select_by_value("admin")
    wait(browser, lambda d: "newbie is now an administrator" in d.find_element(By.ID, "users-status").text)
    assert users()["newbie"]["role"] == "admin"
    # Taking away one's own admin role is refused by the server; its words are shown and the choice reverts.
    role(root).select_by_value("user")
    wait(browser, lambda d: "own administrator role" in d.find_element(By.ID, "users-status").text)
    assert role(root).first_selected_option.get_attribute("value") == "admin" and users()["root"]["role"] == "admin"

    press(browser, browser.find_element(By.XPATH, "//summary[text()='New folder library']"))
    browser.find_element(By.ID, "fl-name").send_keys("Extra music")
    browser.find_element(By.CSS_SELECTOR, "#new-folder-library button").click()
    wait(browser, lambda d: "Extra music" in d.find_element(By.ID, "libraries-status").text)
    library = next(l for l in requests.get(server.url + "/api/v1/libraries", headers=auth(token)).json() if l["name"] == "Extra music")
    assert library["kind"] == "folders" and library["visibility"] == "instance"
    field = browser.switch_to.active_element
    assert field.get_attribute("id") == f"af-{library['id']}"   # focus moved to the new library's folder field
    field.send_keys("/no/such/folder", Keys.ENTER)
    wait(browser, lambda d: "not an existing absolute directory" in d.find_element(By.ID, "libraries-status").text)
    extra = tmp_path / "extra"
    make_audio(str(extra / "tune.mp3"), seconds=2, title="Extra Tune", artist="Someone", album="Extras")
    field = browser.find_element(By.ID, f"af-{library['id']}")
    field.clear()
    field.send_keys(str(extra), Keys.ENTER)
    wait(browser, lambda d: "added" in d.find_element(By.ID, "libraries-status").text)
    wait(browser, lambda d: str(extra) in d.find_element(By.CSS_SELECTOR, f'[data-library="{library["id"]}"] .folders').text)
    found = lambda: requests.get(server.url + "/api/v1/search?q=Extra%20Tune", headers=auth(token)).json()["tracks"]
    assert wait_for(lambda: [t["title"] for t in found()] == ["Extra Tune"], timeout=30)
    # The list is redrawn when the scan's last event arrives, which may be just now: find and click
    # in one step, again if the button was replaced in between.
    wait(browser, lambda d: d.find_element(By.CSS_SELECTOR, f'button[data-scan="{library["id"]}"]').click() or True)
    wait(browser, lambda d: d.find_element(By.ID, "libraries-status").text == "Scan started.")
    shot(browser, "admin")
    assert not severe_console_errors(browser)


def test_invite_link_creates_an_account_that_is_signed_in(server_with_music, browser):
    server, token = server_with_music
    sign_in(browser, server)
    browser.get(server.url + "/#/admin")
    settled(browser, "/admin")
    hours = browser.find_element(By.ID, "inv-hours")
    hours.clear()
    hours.send_keys("24")
    browser.find_element(By.CSS_SELECTOR, "#new-invite button").click()
    url = wait(browser, lambda d: d.find_element(By.ID, "invite-url").get_attribute("value"))
    assert url.startswith(server.url + "/#/join/"), url
    wait(browser, lambda d: len(d.find_elements(By.CSS_SELECTOR, "#invites li[data-invite]")) == 1)
    pending = requests.get(server.url + "/api/v1/invites", headers=auth(token)).json()
    assert [i["role"] for i in pending] == ["user"]
    browser.execute_cdp_cmd("Browser.grantPermissions", {"origin": server.url, "permissions": ["clipboardReadWrite", "clipboardSanitizedWrite"]})
    browser.find_element(By.ID, "invite-copy").click()
    wait(browser, lambda d: d.find_element(By.ID, "invites-status").text == "Link copied.")
    assert browser.execute_async_script("navigator.clipboard.readText().then(arguments[0], (e) => arguments[0]('error: ' + e))") == url
    shot(browser, "admin-invite")
    # A second invite, revoked: gone from the list and from the server.
    browser.find_element(By.CSS_SELECTOR, "#new-invite button").click()
    wait(browser, lambda d: len(d.find_elements(By.CSS_SELECTOR, "#invites li[data-invite]")) == 2)
    browser.find_elements(By.CSS_SELECTOR, "button[data-revoke-invite]")[0].click()
    wait(browser, lambda d: "Invite revoked." in d.find_element(By.ID, "invites-status").text)
    assert len(requests.get(server.url + "/api/v1/invites", headers=auth(token)).json()) == 1
    assert len(browser.find_elements(By.CSS_SELECTOR, "#invites li[data-invite]")) == 1

    browser.find_element(By.ID, "sign-out").click()
    settled(browser, "/login")
    join_route = url[len(server.url) + 2:]
    browser.get(url)
    settled(browser, join_route)
    wait(browser, lambda d: d.find_element(By.ID, "join").is_displayed())
    assert "invited as a user" in browser.find_element(By.ID, "join-about").text
    assert_accessible(browser, "join")
    shot(browser, "join")
    fill = lambda name, password, confirm: [browser.find_element(By.ID, f).clear() or browser.find_element(By.ID, f).send_keys(v)
                                            for f, v in (("join-username", name), ("join-password", password), ("join-confirm", confirm))]
    fill("guest-1", "guest-password-1", "guest-password-2")
    browser.find_element(By.CSS_SELECTOR, "#join button").click()
    wait(browser, lambda d: "not the same" in d.find_element(By.ID, "join-status").text)
    fill("root", "guest-password-1", "guest-password-1")
    browser.find_element(By.CSS_SELECTOR, "#join button").click()
    wait(browser, lambda d: "taken" in d.find_element(By.ID, "join-status").text)
    fill("guest-1", "guest-password-1", "guest-password-1")
    browser.find_element(By.CSS_SELECTOR, "#join button").click()
    settled(browser, "/")
    wait(browser, lambda d: d.find_element(By.TAG_NAME, "h1").text == "Welcome, guest-1")
    assert not browser.find_element(By.CSS_SELECTOR, "a[href='#/admin']").is_displayed()
    assert browser.execute_script("return fetch('/api/v1/me').then(r => r.json())")["username"] == "guest-1"
    assert requests.get(server.url + "/api/v1/users", headers=auth(token)).json()[-1]["role"] == "user"
    assert requests.get(server.url + "/api/v1/invites", headers=auth(token)).json() == []
    # The link works once.
    browser.find_element(By.ID, "sign-out").click()
    settled(browser, "/login")
    browser.get(url)
    settled(browser, join_route)
    wait(browser, lambda d: "invalid, used or expired" in d.find_element(By.ID, "join-about").text)
    assert not browser.find_element(By.ID, "join").is_displayed()
    assert not severe_console_errors(browser)


def test_mobile_mini_player_expands_to_all_controls(server_with_music, browser):
    server, token = server_with_music
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {"width": 390, "height": 844, "deviceScaleFactor": 1, "mobile": True})
    sign_in(browser, server)
    route = open_album(browser, server, token, 'Glass Echo')
    browser.find_element(By.ID, "queue-all").click()
    player = browser.find_element(By.TAG_NAME, "footer")
    shown = lambda act: browser.find_element(By.CSS_SELECTOR, f"cz-player [data-act={act}]").is_displayed()
    wait(browser, lambda d: d.find_element(By.CSS_SELECTOR, "cz-player .title").text == "Night River")
    assert player.size["height"] <= 70, player.size   # one row
    assert player.size["width"] <= 390
    assert all(shown(a) for a in ["play", "next", "queue", "more"]) and not any(shown(a) for a in ["prev", "shuffle", "repeat"])
    assert not browser.find_element(By.ID, "seek").is_displayed()
    assert_accessible(browser, "mini player")
    shot(browser, "mobile-mini-player")
    more = browser.find_element(By.CSS_SELECTOR, "cz-player [data-act=more]")
    more.click()
    assert more.get_attribute("aria-expanded") == "true"
    assert all(shown(a) for a in ["prev", "shuffle", "repeat"]) and browser.find_element(By.ID, "seek").is_displayed()
    assert browser.execute_script("return document.documentElement.scrollWidth") <= 390
    shot(browser, "mobile-player-expanded")
    more.click()
    assert not shown("shuffle")


def serve_again_on_the_same_port(deployment, server, music):
    """The server back after a kill -9, on the port the open page knows."""
    log = open(os.path.join(os.path.dirname(deployment.data_dir), f"serve-{server.port}-again.log"), "w")
    proc = subprocess.Popen([BIN, "serve", "--port", str(server.port), "--roles", "api,worker,scheduler"], stdout=log,
                            stderr=subprocess.STDOUT, env=deployment.env(CADENZA_MUSIC_DIRS=str(music)))
    again = Server(proc, server.port, log)
    deployment.processes.append(again)
    again.wait_ready()
    return again


def test_offline_banner_appears_and_the_app_recovers(deployment, music, server_with_music, browser):
    server, token = server_with_music
    sign_in(browser, server)
    browser.get(server.url + "/#/history")
    settled(browser, "/history")
    time.sleep(0.5)   # the event stream is open
    banner = lambda: browser.find_element(By.ID, "banner")
    assert not banner().is_displayed()
    server.kill9()
    wait(browser, lambda d: banner().is_displayed(), timeout=15)
    assert "cannot be reached" in banner().text
    shot(browser, "offline-banner")
    again = serve_again_on_the_same_port(deployment, server, music)
    started = time.time()
    wait(browser, lambda d: not banner().is_displayed(), timeout=20)
    print(f"banner gone {time.time() - started:.1f} s after the server was back")
    # What happened meanwhile shows up without a reload, and the live stream is back: later listens arrive too.
    for i, title in enumerate(["After The Outage", "Live Again"]):
        r = requests.post(again.url + "/1/submit-listens", headers={"Authorization": f"Token {token}"},
                          json={"listen_type": "single", "payload": [{"listened_at": int(time.time()) - 10 + i, "track_metadata": {
                              "artist_name": "Back Again", "track_name": title}}]})
        assert r.status_code == 200, r.text
        wait(browser, lambda d: title in d.find_element(By.ID, "listens").text, timeout=20)
        time.sleep(0.5)
    assert browser.find_element(By.ID, "listens").text.count("After The Outage") == 1


def test_a_page_opened_while_offline_says_so_and_opens_once_back(deployment, music, server_with_music, browser):
    server, token = server_with_music
    sign_in(browser, server)   # home only: the stats view's module is not loaded yet
    server.kill9()
    browser.execute_script("location.hash = '/stats'")
    banner = lambda: browser.find_element(By.ID, "banner")
    wait(browser, lambda d: banner().is_displayed(), timeout=15)
    wait(browser, lambda d: d.find_element(By.TAG_NAME, "h1").text == "Not available offline")
    assert "dynamically imported" not in browser.find_element(By.ID, "main").text
    again = serve_again_on_the_same_port(deployment, server, music)
    wait(browser, lambda d: d.find_element(By.TAG_NAME, "h1").text == "Statistics", timeout=20)
    assert not banner().is_displayed()


def test_home_first_load_is_small_and_shows_content(server_with_music, browser):
    """The page weight is asserted (it is deterministic); the time to first content is printed, not
    asserted (machines are noisy): the issue's < 1 s figure is read from this line and the closing note."""
    server, token = server_with_music
    sign_in(browser, server)
    browser.execute_cdp_cmd("Network.clearBrowserCache", {})
    browser.get(server.url + "/")
    settled(browser, "/")
    first = wait(browser, lambda d: d.execute_script(
        "const m = performance.getEntriesByName('cadenza:first-content'); return m.length ? m[0].startTime : null"))
    code = browser.execute_script(
        "return [...performance.getEntriesByType('navigation'), ...performance.getEntriesByType('resource')]"
        ".filter(e => !e.name.includes('/api/')).reduce((n, e) => n + (e.transferSize || 0), 0)")
    print(f"home: first content {first:.0f} ms after navigation start; {code} bytes of HTML/JS/CSS transferred (cold cache)")
    assert browser.find_elements(By.CSS_SELECTOR, "#recent .card") or browser.find_elements(By.CSS_SELECTOR, "#random .card")
    assert 0 < code < 200_000, code


# --- play now / next / queue / playlist on every kind of item --------------------------------------

def queue_titles(driver):
    return driver.execute_script("return [...document.querySelectorAll('#queue li [data-act=jump]')].map(b => b.textContent)")


def now_playing(driver):
    return driver.find_element(By.CSS_SELECTOR, "cz-player .title").text


def clear_queue(driver):
    driver.execute_script("document.querySelector('#queue [data-act=clear]')?.click()")
    wait(driver, lambda d: queue_titles(d) == [])


def test_album_cards_and_album_page_play_next_and_add_to_queue(server_with_music, browser):
    server, token = server_with_music
    glass, orbit = album_id(server, token, "Glass Echo"), album_id(server, token, "Orbit")
    sign_in(browser, server)
    browser.get(server.url + "/#/albums")
    settled(browser, "/albums")
    card = lambda album, act: browser.find_element(By.CSS_SELECTOR, f'#albums [data-item="album:{album}"] [data-item-act={act}]')
    assert card(glass, "next").get_attribute("aria-label") == "Play Glass Echo next"
    assert card(orbit, "queue").get_attribute("aria-label") == "Add Orbit to the queue"
    press(browser, card(glass, "queue"))
    wait(browser, lambda d: queue_titles(d) == ["Night River", "Paper Static"])
    assert browser.execute_script("return document.querySelector('cz-player audio').paused") is True   # queued, not played
    # By keyboard: Enter on ⋯ opens the menu on its first item, "Play next" (after the current track).
    menu = browser.find_element(By.CSS_SELECTOR, f'#albums [data-item="album:{orbit}"] [data-menu]')
    assert menu.get_attribute("aria-label") == "More actions for Orbit" and menu.get_attribute("aria-expanded") == "false"
    menu.send_keys(Keys.ENTER)
    wait(browser, lambda d: d.switch_to.active_element == card(orbit, "next"))
    assert menu.get_attribute("aria-expanded") == "true"
    browser.switch_to.active_element.send_keys(Keys.ENTER)
    wait(browser, lambda d: queue_titles(d) == ["Night River", "Lantern", "Paper Static"])
    assert now_playing(browser) == "Night River"
    press(browser, card(orbit, "now"))
    wait(browser, lambda d: queue_titles(d) == ["Lantern"] and now_playing(d) == "Lantern")
    shot(browser, "album-card-actions")

    browser.get(server.url + f"/#/albums/{glass}")
    settled(browser, f"/albums/{glass}")
    assert browser.title == "Glass Echo – Cadenza"   # the router's generic "Album" does not win
    browser.find_element(By.ID, "queue-all").click()
    wait(browser, lambda d: queue_titles(d) == ["Lantern", "Night River", "Paper Static"])
    browser.get(server.url + f"/#/albums/{orbit}")
    settled(browser, f"/albums/{orbit}")
    assert browser.title == "Orbit – Cadenza"
    browser.find_element(By.ID, "next-all").click()
    wait(browser, lambda d: queue_titles(d) == ["Lantern", "Lantern", "Night River", "Paper Static"])
    assert now_playing(browser) == "Lantern"
    browser.get(server.url + f"/#/albums/{glass}")
    settled(browser, f"/albums/{glass}")
    browser.find_element(By.ID, "list-all").click()
    dialog = wait(browser, lambda d: d.find_element(By.ID, "add-dialog"))
    wait(browser, lambda d: dialog.get_attribute("open") is not None)
    dialog.find_element(By.ID, "add-new").send_keys("Whole album")
    dialog.find_element(By.CSS_SELECTOR, "button[value=add]").click()
    wait(browser, lambda d: "Added to the playlist" in d.find_element(By.ID, "toast").text)
    lists = requests.get(server.url + "/api/v1/playlists", headers=auth(token)).json()
    made = next(p for p in lists if p["name"] == "Whole album")
    stored = requests.get(server.url + f"/api/v1/playlists/{made['id']}", headers=auth(token)).json()
    assert [t["title"] for t in stored["tracks"]] == ["Night River", "Paper Static"]
    assert not severe_console_errors(browser)


def test_artist_play_all_fills_the_queue(server_with_music, browser):
    server, token = server_with_music
    kaloven = requests.get(server.url + "/api/v1/search?q=Kaloven", headers=auth(token)).json()["artists"][0]["id"]
    # Two plays of the second track make it the artist's most popular one.
    now = int(time.time())
    r = requests.post(server.url + "/1/submit-listens", headers={"Authorization": f"Token {token}"},
                      json={"listen_type": "import", "payload": [
                          {"listened_at": now - 600 * (i + 1), "track_metadata": {"artist_name": "Kaloven", "track_name": "Paper Static"}}
                          for i in range(2)]})
    assert r.status_code == 200, r.text
    top = lambda: [t["title"] for t in requests.get(server.url + f"/api/v1/artists/{kaloven}", headers=auth(token)).json()["topTracks"]]
    assert wait_for(lambda: top() == ["Paper Static", "Night River"]), top()
    sign_in(browser, server)
    browser.get(server.url + f"/#/artists/{kaloven}")
    settled(browser, f"/artists/{kaloven}")
    assert browser.title == "Kaloven – Cadenza"
    assert [h.text for h in browser.find_elements(By.CSS_SELECTOR, "main h2")] == ["Popular", "Albums", "Similar artists"]
    popular = browser.find_elements(By.CSS_SELECTOR, "#popular tbody tr td:first-child")
    assert [c.text for c in popular] == ["Paper Static", "Night River"]
    browser.find_element(By.ID, "artist-play").click()
    wait(browser, lambda d: queue_titles(d) == ["Night River", "Paper Static"])
    wait(browser, lambda d: d.execute_script("return document.querySelector('cz-player audio').currentTime") > 0.3)
    assert now_playing(browser) == "Night River"
    browser.find_element(By.ID, "artist-queue").click()
    wait(browser, lambda d: queue_titles(d) == ["Night River", "Paper Static"] * 2)
    # The artists list has a play button per artist; its tracks are fetched only when it is pressed.
    browser.get(server.url + "/#/artists")
    settled(browser, "/artists")
    milo = browser.find_element(By.XPATH, "//li[a[text()='Milo']]//button[@data-item-act='now']")
    assert milo.get_attribute("aria-label") == "Play Milo"
    press(browser, milo)
    wait(browser, lambda d: queue_titles(d) == ["Lantern"] and now_playing(d) == "Lantern")
    # Milo's only release is tagged as a single (RELEASETYPE): their page files it under Singles.
    browser.find_element(By.XPATH, "//li/a[text()='Milo']").click()
    wait(browser, lambda d: d.title == "Milo – Cadenza")
    wait(browser, lambda d: [h.text for h in d.find_elements(By.CSS_SELECTOR, "main h2")] == ["Popular", "Albums", "Singles", "Similar artists"])
    assert "Orbit" in browser.find_element(By.CSS_SELECTOR, "section[aria-label='Singles']").text
    assert not severe_console_errors(browser)


def test_playlist_rows_play_next_and_the_playlist_goes_to_the_queue(server_with_music, browser):
    server, token = server_with_music
    ids = ids_by_title(server, token)
    r = requests.post(server.url + "/api/v1/playlists", headers=auth(token),
                      json={"name": "Evening", "trackIds": [ids["Lantern"], ids["Paper Static"]]})
    assert r.status_code == 201, r.text
    playlist = r.json()["id"]
    sign_in(browser, server)
    route = open_album(browser, server, token, 'Glass Echo')
    browser.find_element(By.ID, "queue-all").click()
    wait(browser, lambda d: queue_titles(d) == ["Night River", "Paper Static"])
    browser.get(server.url + f"/#/playlists/{playlist}")
    settled(browser, f"/playlists/{playlist}")
    row_button = lambda i, sel: browser.find_element(By.CSS_SELECTOR, f'#pl-tracks li[data-i="{i}"] {sel}')
    assert row_button(0, "button[data-play=next]").get_attribute("aria-label") == "Play Lantern next"
    browser.find_element(By.ID, "pl-next").click()
    wait(browser, lambda d: queue_titles(d) == ["Night River", "Lantern", "Paper Static", "Paper Static"])
    press(browser, row_button(0, "button[data-play=next]"))
    wait(browser, lambda d: queue_titles(d) == ["Night River", "Lantern", "Lantern", "Paper Static", "Paper Static"])
    browser.find_element(By.ID, "pl-queue").click()
    wait(browser, lambda d: queue_titles(d)[5:] == ["Lantern", "Paper Static"] and len(queue_titles(d)) == 7)
    press(browser, row_button(1, "button[data-play=now]"))   # plays from that row on
    wait(browser, lambda d: queue_titles(d) == ["Paper Static"] and now_playing(d) == "Paper Static")
    # The list of playlists plays a whole one.
    browser.get(server.url + "/#/playlists")
    settled(browser, "/playlists")
    press(browser, wait(browser, lambda d: d.find_element(By.CSS_SELECTOR, f'[data-item="playlist:{playlist}"] [data-item-act=queue]')))
    wait(browser, lambda d: queue_titles(d) == ["Paper Static", "Lantern", "Paper Static"])
    assert not severe_console_errors(browser)


def test_home_lists_are_track_rows_that_play(server_with_music, browser):
    server, token = server_with_music
    ids = ids_by_title(server, token)
    assert requests.put(server.url + f"/api/v1/stars/track/{ids['Paper Static']}", headers=auth(token)).status_code in (200, 204)
    r = requests.post(server.url + "/api/v1/plays", headers=auth(token), json={"trackId": ids["Lantern"], "event": "played"})
    assert r.status_code == 204, r.text
    assert wait_for(lambda: requests.get(server.url + "/1/user/root/listens", headers={"Authorization": f"Token {token}"}).json()["payload"]["listens"])
    sign_in(browser, server)
    played = wait(browser, lambda d: d.find_element(By.CSS_SELECTOR, f'#played [data-item="track:{ids["Lantern"]}"] [data-item-act=next]'))
    assert played.get_attribute("aria-label") == "Play Lantern next"
    press(browser, browser.find_element(By.CSS_SELECTOR, f'#played [data-item="track:{ids["Lantern"]}"] [data-item-act=queue]'))
    wait(browser, lambda d: queue_titles(d) == ["Lantern"])
    starred = browser.find_element(By.CSS_SELECTOR, "#starred-tracks tr[data-i='0']")
    assert "Paper Static" in starred.text
    assert starred.find_element(By.CSS_SELECTOR, "button[data-star]").get_attribute("aria-pressed") == "true"
    press(browser, starred.find_element(By.CSS_SELECTOR, "button[data-play=queue]"))
    wait(browser, lambda d: queue_titles(d) == ["Lantern", "Paper Static"])
    assert not severe_console_errors(browser)


def test_home_recommends_with_reasons_and_an_instant_mix_plays(server_with_music, browser):
    server, token = server_with_music
    # Two listeners play Night River with Lantern; root has played Night River.
    now = int(time.time())
    for name in ("ola", "pia"):
        r = requests.post(server.url + "/api/v1/users", json={"username": name, "password": f"password-{name}"}, headers=auth(token))
        assert r.status_code == 201, r.text
        from conftest import token_for
        theirs = token_for(server, name, f"password-{name}")
        listens = [("Kaloven", "Night River"), ("Milo", "Lantern")] * 2
        r = requests.post(server.url + "/1/submit-listens", headers={"Authorization": f"Token {theirs}"}, json={"listen_type": "import", "payload": [
            {"listened_at": now - 600 * (i + 1), "track_metadata": {"artist_name": a, "track_name": t}} for i, (a, t) in enumerate(listens)]})
        assert r.status_code == 200, r.text
    r = requests.post(server.url + "/1/submit-listens", headers={"Authorization": f"Token {token}"}, json={"listen_type": "import", "payload": [
        {"listened_at": now - 60, "track_metadata": {"artist_name": "Kaloven", "track_name": "Night River"}}]})
    assert r.status_code == 200, r.text
    assert requests.post(server.url + "/api/v1/discovery/model", headers=auth(token)).status_code == 202
    assert wait_for(lambda: requests.get(server.url + "/api/v1/discovery/model", headers=auth(token)).json()["model"])
    assert requests.post(server.url + "/api/v1/discovery/playlists/refresh", headers=auth(token)).status_code == 202
    assert wait_for(lambda: requests.get(server.url + "/api/v1/discovery/playlists", headers=auth(token)).json()["items"])
    sign_in(browser, server)
    made = wait(browser, lambda d: d.find_element(By.XPATH, "//section[@aria-labelledby='made-h']//a[contains(., 'Daily Mix')]"))
    assert made.get_attribute("href").split("#")[1].startswith("/playlists/")
    orbit = wait(browser, lambda d: d.find_element(By.XPATH, "//div[@id='foryou']//li[.//span[@class='name' and text()='Orbit']]"))
    assert "Because you played Night River by Kaloven" in orbit.text
    assert "Milo" in browser.find_element(By.ID, "like").text
    # The artist page lists who people here play alongside Kaloven.
    kaloven = requests.get(server.url + "/api/v1/search?q=Kaloven", headers=auth(token)).json()["artists"][0]["id"]
    browser.get(server.url + f"/#/artists/{kaloven}")
    settled(browser, f"/artists/{kaloven}")
    assert [a.text for a in wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#similar-list li > a"))] == ["Milo"]
    # An instant mix from a track row: the track, then what continues from it.
    open_album(browser, server, token, "Glass Echo")
    mix = browser.find_element(By.CSS_SELECTOR, 'tr[data-i="0"] button[data-mix]')
    assert mix.get_attribute("aria-label") == "Start an instant mix from Night River"
    press(browser, mix)
    wait(browser, lambda d: queue_titles(d)[:2] == ["Night River", "Lantern"])
    assert_accessible(browser, "artist page with similar artists")
    browser.get(server.url + "/#/")
    settled(browser, "/")
    wait(browser, lambda d: d.find_element(By.XPATH, "//div[@id='foryou']//li"))
    assert_accessible(browser, "home with recommendations")
    assert not severe_console_errors(browser)


# --- queue ------------------------------------------------------------------------------------------

def test_queue_remove_clear_and_save_as_playlist(server_with_music, browser):
    server, token = server_with_music
    sign_in(browser, server)
    queue_two_albums_and_open_the_queue(browser, server, token)
    wait(browser, lambda d: queue_titles(d) == ["Night River", "Paper Static", "Lantern"])
    remove = browser.find_element(By.CSS_SELECTOR, '#queue li[data-q="1"] button[data-act=remove]')
    assert remove.get_attribute("aria-label") == "Remove Paper Static from the queue"
    press(browser, remove)
    wait(browser, lambda d: queue_titles(d) == ["Night River", "Lantern"])
    assert [t["title"] for t in browser.execute_script("return JSON.parse(localStorage.getItem('cadenza.queue')).tracks")] == ["Night River", "Lantern"]
    press(browser, browser.find_element(By.CSS_SELECTOR, "#queue button[data-act=save]"))
    dialog = wait(browser, lambda d: d.find_element(By.ID, "add-dialog"))
    wait(browser, lambda d: dialog.get_attribute("open") is not None)
    dialog.find_element(By.ID, "add-new").send_keys("From the queue")
    dialog.find_element(By.CSS_SELECTOR, "button[value=add]").click()
    wait(browser, lambda d: "Added to the playlist" in d.find_element(By.ID, "toast").text)
    made = next(p for p in requests.get(server.url + "/api/v1/playlists", headers=auth(token)).json() if p["name"] == "From the queue")
    assert [t["title"] for t in requests.get(server.url + f"/api/v1/playlists/{made['id']}", headers=auth(token)).json()["tracks"]] == ["Night River", "Lantern"]
    press(browser, browser.find_element(By.CSS_SELECTOR, "#queue button[data-act=clear]"))
    wait(browser, lambda d: queue_titles(d) == [] and "The queue is empty." in d.find_element(By.ID, "queue").text)
    assert now_playing(browser) == "Nothing playing"
    assert browser.execute_script("return JSON.parse(localStorage.getItem('cadenza.queue')).tracks") == []
    assert not severe_console_errors(browser)


# --- search as you type, sign-out --------------------------------------------------------------------

def test_typing_a_search_with_pauses_keeps_focus_and_skips_no_track(server_with_music, browser):
    server, token = server_with_music
    sign_in(browser, server)
    route = open_album(browser, server, token, 'Glass Echo')
    browser.find_element(By.ID, "queue-all").click()
    wait(browser, lambda d: now_playing(d) == "Night River")
    entries = browser.execute_script("return history.length")
    box = browser.find_element(By.ID, "search")
    box.click()
    for letter in "lantern":   # n and p are player shortcuts; here they are letters of the query
        browser.switch_to.active_element.send_keys(letter)
        time.sleep(0.45)   # longer than the search's pause: every letter re-routes
        assert browser.switch_to.active_element.get_attribute("id") == "search", letter
    settled(browser, "/search")
    wait(browser, lambda d: "Lantern" in d.find_element(By.ID, "results").text)
    assert box.get_attribute("value") == "lantern"
    assert browser.current_url.endswith("#/search?q=lantern")
    assert now_playing(browser) == "Night River" and queue_titles(browser) == ["Night River", "Paper Static"]
    assert browser.execute_script("return document.querySelector('cz-player audio').paused") is True
    assert browser.execute_script("return history.length") <= entries + 1   # one entry for the search, not one per pause
    assert browser.title == "Search: lantern – Cadenza"
    # Outside text fields the shortcuts still work.
    browser.find_element(By.TAG_NAME, "h1").click()
    browser.find_element(By.TAG_NAME, "body").send_keys("n")
    wait(browser, lambda d: now_playing(d) == "Paper Static")
    assert not severe_console_errors(browser)


def test_sign_out_stops_playback_and_the_next_user_gets_an_empty_queue(server_with_music, browser):
    server, token = server_with_music
    r = requests.post(server.url + "/api/v1/users", headers=auth(token), json={"username": "guest", "password": "guest-password"})
    assert r.status_code == 201, r.text
    sign_in(browser, server)
    route = open_album(browser, server, token, 'Glass Echo')
    browser.find_element(By.ID, "play-all").click()
    audio = lambda script: browser.execute_script(f"return document.querySelector('cz-player audio').{script}")
    wait(browser, lambda d: audio("currentTime") > 0.3)
    browser.find_element(By.ID, "sign-out").click()
    settled(browser, "/login")
    assert audio("paused") is True and not audio("getAttribute('src')")
    time.sleep(0.5)
    position = audio("currentTime")
    time.sleep(0.5)
    assert audio("currentTime") == position   # really stopped
    assert browser.execute_script("return localStorage.getItem('cadenza.queue')") is None
    assert browser.execute_script("return document.querySelector('cz-player .title').textContent") == "Nothing playing"
    assert_accessible(browser, "login")
    shot(browser, "login")
    sign_in(browser, server, "guest", "guest-password")
    browser.find_element(By.CSS_SELECTOR, "button[data-act=queue]").click()
    wait(browser, lambda d: "The queue is empty." in d.find_element(By.ID, "queue").text)
    assert queue_titles(browser) == [] and now_playing(browser) == "Nothing playing"
    # A queue left by a session that merely expired is not handed to someone else either.
    browser.execute_script("localStorage.setItem('cadenza.queue', JSON.stringify({user: 'root', index: 0, tracks: [{id: '1', title: 'Left Behind', files: []}]}))")
    browser.refresh()
    settled(browser, "/")
    assert queue_titles(browser) == [] and browser.execute_script("return localStorage.getItem('cadenza.queue')") is None
    assert not severe_console_errors(browser)


# --- follows and the feed -----------------------------------------------------------------------------

def test_follow_a_user_and_their_listens_arrive_live_and_stay_after_reload(server_with_music, browser):
    from conftest import token_for
    server, token = server_with_music
    r = requests.post(server.url + "/api/v1/users", headers=auth(token), json={"username": "bob", "password": "bob-password"})
    assert r.status_code == 201, r.text
    bob = token_for(server, "bob", "bob-password")
    sign_in(browser, server)
    browser.get(server.url + "/#/history")
    settled(browser, "/history")
    status = lambda: browser.find_element(By.ID, "follow-status").text
    field = browser.find_element(By.ID, "follow-name")
    field.send_keys("nobody-here", Keys.ENTER)
    wait(browser, lambda d: "not found" in status().lower())
    assert browser.switch_to.active_element.get_attribute("id") == "follow-name"
    field.clear()
    field.send_keys("root", Keys.ENTER)
    wait(browser, lambda d: "yourself" in status())
    field.clear()
    field.send_keys("bob", Keys.ENTER)
    wait(browser, lambda d: "You follow bob" in status())
    # The list is drawn again when the follow's own event arrives: read it through wait (stale-safe).
    wait(browser, lambda d: d.find_element(By.CSS_SELECTOR, "#following button[data-unfollow=bob]").get_attribute("aria-label") == "Unfollow bob")
    assert requests.get(server.url + "/api/v1/follows", headers=auth(token)).json() == {"following": ["bob"]}
    time.sleep(0.5)   # the event stream has taken the follow in
    lb = {"Authorization": f"Token {bob}"}
    r = requests.post(server.url + "/1/submit-listens", headers=lb, json={"listen_type": "single", "payload": [
        {"listened_at": int(time.time()) - 5, "track_metadata": {"artist_name": "Bob's <em>Band</em>", "track_name": "Followed Song"}}]})
    assert r.status_code == 200, r.text
    wait(browser, lambda d: "Followed Song" in d.find_element(By.ID, "listens").text)
    wait(browser, lambda d: "bob" in d.find_element(By.XPATH, "//ol[@id='listens']/li[contains(., 'Followed Song')]").text)
    assert not browser.find_elements(By.CSS_SELECTOR, "#listens em")
    r = requests.post(server.url + "/1/submit-listens", headers=lb, json={"listen_type": "playing_now", "payload": [
        {"track_metadata": {"artist_name": "Bob's Band", "track_name": "Right Now", "additional_info": {"duration_ms": 120000}}}]})
    assert r.status_code == 200, r.text
    wait(browser, lambda d: "bob: Right Now" in d.find_element(By.ID, "now").text)
    assert_accessible(browser, "history with follows")
    shot(browser, "history-follows")
    browser.refresh()
    settled(browser, "/history")
    wait(browser, lambda d: "Followed Song" in d.find_element(By.ID, "listens").text)   # from the feed
    wait(browser, lambda d: "bob: Right Now" in d.find_element(By.ID, "now").text and "bob" in d.find_element(By.ID, "following").text)
    press(browser, wait(browser, lambda d: d.find_element(By.CSS_SELECTOR, "#following button[data-unfollow=bob]")))
    wait(browser, lambda d: "no longer follow bob" in status())
    wait(browser, lambda d: "Followed Song" not in d.find_element(By.ID, "listens").text)
    assert requests.get(server.url + "/api/v1/follows", headers=auth(token)).json() == {"following": []}
    assert not severe_console_errors(browser)


# --- listen reporting, errors, admin, focus -------------------------------------------------------------

FAIL_PLAYS = """
window.__plays = 0;
const real = window.fetch;
window.__realFetch = real;
window.fetch = (url, options) => {
  if (String(url).includes('/api/v1/plays') && options?.body?.includes('"played"')) {
    window.__plays += 1;
    return Promise.resolve(new Response('{"error":{"message":"busy"}}', {status: 503}));
  }
  return real(url, options);
};
"""


def test_a_failing_listen_report_is_retried_with_backoff_not_flooded(server_with_music, browser):
    server, token = server_with_music
    sign_in(browser, server)
    route = open_album(browser, server, token, 'Orbit')
    browser.execute_script(FAIL_PLAYS)
    browser.find_element(By.ID, "play-all").click()   # Lantern, 3 seconds: a listen after 1.5
    wait(browser, lambda d: d.execute_script("return window.__plays") >= 1)
    time.sleep(3)
    tries = browser.execute_script("return window.__plays")
    assert 1 <= tries <= 2, tries   # timeupdate fires 4 times a second; a retry waits 2 s, then 4 s
    browser.execute_script("window.fetch = window.__realFetch")
    listens = lambda: requests.get(server.url + "/1/user/root/listens", headers={"Authorization": f"Token {token}"}).json()["payload"]["listens"]
    assert wait_for(lambda: [l["track_metadata"]["track_name"] for l in listens()] == ["Lantern"], timeout=20)   # the retry got through
    time.sleep(1)
    assert len(listens()) == 1


def test_uncaught_errors_are_shown_in_words(server_with_music, browser):
    server, _ = server_with_music
    sign_in(browser, server)
    # A listener of the app that throws (a malformed play request): the error event, in words.
    browser.execute_script("window.dispatchEvent(new CustomEvent('cz-play', {detail: null}))")
    wait(browser, lambda d: "Something went wrong" in d.find_element(By.ID, "toast").text)
    assert "tracks" in browser.find_element(By.ID, "toast").text
    # Chromium does not report promises rejected by WebDriver's own scripts, so the event is sent as the browser would.
    browser.execute_script("const p = Promise.reject(new Error('The disk is full')); p.catch(() => {});"
                           "window.dispatchEvent(new PromiseRejectionEvent('unhandledrejection', {promise: p, reason: new Error('The disk is full')}))")
    wait(browser, lambda d: d.find_element(By.ID, "toast").text == "Something went wrong: The disk is full")


# Counts uploads in flight, and holds each upload's answer back for 4 s, so that the import's event
# arrives before the page knows which file the row is.
SLOW_UPLOADS = """
window.__inFlight = 0; window.__maxInFlight = 0;
const send = XMLHttpRequest.prototype.send;
XMLHttpRequest.prototype.send = function (body) {
  window.__inFlight += 1;
  window.__maxInFlight = Math.max(window.__maxInFlight, window.__inFlight);
  const onload = this.onload, onloadend = this.onloadend;
  this.onload = (...args) => setTimeout(() => onload.apply(this, args), 4000);
  this.onloadend = (...args) => setTimeout(() => { window.__inFlight -= 1; onloadend?.apply(this, args); }, 4000);
  return send.call(this, body);
};
"""


def test_uploads_go_three_at_a_time_and_early_results_are_kept(server_with_music, browser, tmp_path):
    from media import make_audio
    server, token = server_with_music
    songs = [make_audio(str(tmp_path / f"take{i}.mp3"), seconds=1, frequency=300 + 40 * i, title=f"Take {i}", artist="Band", album="Takes")
             for i in range(5)]
    extra = make_audio(str(tmp_path / "take5.mp3"), seconds=1, frequency=700, title="Take 5", artist="Band", album="Takes")
    sign_in(browser, server)
    browser.get(server.url + "/#/upload")
    settled(browser, "/upload")
    # One upload first (it makes the upload library on the server), then five: they go 3 at a time.
    browser.find_element(By.ID, "files").send_keys(songs[0])
    wait(browser, lambda d: "imported" in d.find_element(By.ID, "uploads").text, timeout=30)
    browser.execute_script(SLOW_UPLOADS)
    browser.find_element(By.ID, "files").send_keys("\n".join(songs[1:] + [extra]))
    states = lambda: [li.text.rsplit(" ", 1)[-1] for li in browser.find_elements(By.CSS_SELECTOR, "#uploads li")][1:]
    wait(browser, lambda d: len(states()) == 5)
    assert states().count("waiting") == 2   # two wait their turn
    wait(browser, lambda d: states() == ["imported"] * 5, timeout=60)
    assert browser.execute_script("return window.__maxInFlight") == 3
    imported = requests.get(server.url + "/api/v1/uploads", headers=auth(token)).json()["items"]
    assert sorted(f["status"] for f in imported) == ["imported"] * 6
    assert not severe_console_errors(browser)


def test_deleting_a_user_asks_first(server_with_music, browser):
    server, token = server_with_music
    r = requests.post(server.url + "/api/v1/users", headers=auth(token), json={"username": "leaver", "password": "leaver-password"})
    assert r.status_code == 201, r.text
    names = lambda: [u["username"] for u in requests.get(server.url + "/api/v1/users", headers=auth(token)).json()]
    sign_in(browser, server)
    browser.get(server.url + "/#/admin")
    settled(browser, "/admin")
    delete = lambda: browser.find_element(By.CSS_SELECTOR, f'button[data-delete-user="{r.json()["id"]}"]')
    press(browser, wait(browser, lambda d: delete()))
    alert = wait(browser, lambda d: d.switch_to.alert)
    assert "leaver" in alert.text
    alert.dismiss()
    time.sleep(0.5)
    assert "leaver" in names()
    press(browser, delete())
    wait(browser, lambda d: d.switch_to.alert).accept()
    wait(browser, lambda d: "leaver deleted" in d.find_element(By.ID, "users-status").text)
    assert "leaver" not in names()


def test_every_focusable_control_shows_its_focus_in_both_themes(server_with_music, browser):
    server, token = server_with_music
    sign_in(browser, server)
    route = f"/albums/{album_id(server, token, 'Glass Echo')}"
    outline = ("const s = getComputedStyle(document.activeElement);"
               "return [document.activeElement.outerHTML.slice(0, 80), s.outlineStyle, parseFloat(s.outlineWidth)]")
    for theme in ["light", "dark"]:
        browser.execute_script(f"localStorage.setItem('cadenza.theme', '{theme}')")
        browser.get(server.url + "/#" + route)
        browser.refresh()   # the theme is read on load
        settled(browser, route)
        browser.find_element(By.ID, "queue-all").click()
        browser.find_element(By.CSS_SELECTOR, "button[data-act=queue]").click()
        browser.execute_script("document.activeElement.blur(); window.scrollTo(0, 0)")
        seen = set()
        for _ in range(90):   # round the whole page, from wherever Tab starts
            ActionChains(browser).send_keys(Keys.TAB).perform()
            element, style, width = browser.execute_script(outline)
            if element.startswith("<body"):
                continue
            assert style != "none" and width >= 2, (theme, element, style, width)
            seen.add(element)
        assert len(seen) >= 35 and any('data-act="remove"' in e for e in seen) and any('id="search"' in e for e in seen), seen
    assert browser.execute_script("return getComputedStyle(document.body).backgroundColor") == "rgb(18, 18, 18)"



# --- Design: now playing, installable app, cards and menus, layout ------------------------------

LRC = "[00:00.00]First line\n[00:01.20]Second line\n[00:02.40]Third line\n"


@pytest.fixture
def sung(deployment, tmp_path):
    """An album whose first track has a synced .lrc next to it; the second has no lyrics."""
    from media import make_audio
    root = tmp_path / "sung"
    make_audio(str(root / "Vela/Tide/01.ogg"), seconds=6, title="Harbour", artist="Vela", album="Tide", track="1")
    make_audio(str(root / "Vela/Tide/02.ogg"), seconds=3, title="Undertow", artist="Vela", album="Tide", track="2")
    (root / "Vela/Tide/01.lrc").write_text(LRC)
    server = deployment.serve(CADENZA_MUSIC_DIRS=str(root))
    token = admin_token(deployment, server)
    assert wait_for(lambda: len(requests.get(server.url + "/api/v1/tracks", headers=auth(token)).json()["items"]) == 2)
    return server, token


def test_lyrics_api_and_the_now_playing_view(sung, browser):
    server, token = sung
    tracks = {t["title"]: t for t in requests.get(server.url + "/api/v1/tracks", headers=auth(token)).json()["items"]}
    lyrics = requests.get(f"{server.url}/api/v1/tracks/{tracks['Harbour']['id']}/lyrics", headers=auth(token)).json()
    assert lyrics["synced"] is True
    assert [(line["startMs"], line["text"]) for line in lyrics["lines"]] == [(0, "First line"), (1200, "Second line"), (2400, "Third line")]
    none = requests.get(f"{server.url}/api/v1/tracks/{tracks['Undertow']['id']}/lyrics", headers=auth(token))
    assert none.status_code == 200 and none.json()["lines"] == []
    assert requests.get(server.url + "/api/v1/tracks/999999/lyrics", headers=auth(token)).status_code == 404
    assert requests.get(f"{server.url}/api/v1/tracks/{tracks['Harbour']['id']}/lyrics").status_code == 401

    sign_in(browser, server)
    browser.get(f"{server.url}/#/albums/{tracks['Harbour']['album']['id']}")
    press(browser, wait(browser, lambda d: d.find_element(By.ID, "play-all")))
    wait(browser, lambda d: now_playing(d) == "Harbour")
    expand = browser.find_element(By.CSS_SELECTOR, "cz-player [data-act=expand]")
    expand.click()
    view = browser.find_element(By.ID, "np")
    assert view.is_displayed() and expand.get_attribute("aria-expanded") == "true"
    assert view.find_element(By.CSS_SELECTOR, ".np-title").text == "Harbour"
    lines = lambda d: [p.text for p in d.find_elements(By.CSS_SELECTOR, "#np .np-lyrics p")]
    wait(browser, lambda d: lines(d) == ["First line", "Second line", "Third line"])
    # Synced lyrics follow the song: a later line becomes the current one as it plays.
    wait(browser, lambda d: d.find_element(By.CSS_SELECTOR, "#np .np-lyrics p[aria-current]").text in ("Second line", "Third line"), timeout=20)
    assert "Undertow" in view.find_element(By.CSS_SELECTOR, ".np-next").text
    # Contrast is judged at rest: the lyrics' colour eases over 240 ms when a line becomes
    # current or the theme changes, and a check in between measures a colour on its way.
    browser.execute_script("const s = document.createElement('style'); s.id = 'still';"
                           "s.textContent = '.np-lyrics p { transition: none !important; }'; document.head.append(s);")
    for theme in ("light", "dark"):
        browser.execute_script("document.documentElement.dataset.theme = arguments[0]", theme)
        assert_accessible(browser, f"now playing {theme}")
        shot(browser, f"now-playing-{theme}")
    browser.execute_script("document.getElementById('still').remove()")
    # Up next plays by a press; the view follows the track (no lyrics: said in words).
    view.find_element(By.CSS_SELECTOR, ".np-next [data-act=jump]").click()
    wait(browser, lambda d: d.find_element(By.CSS_SELECTOR, "#np .np-title").text == "Undertow")
    wait(browser, lambda d: lines(d) == ["This track has no lyrics."])
    browser.switch_to.active_element.send_keys(Keys.ESCAPE)
    wait(browser, lambda d: not d.find_element(By.ID, "np").is_displayed())
    assert browser.switch_to.active_element == expand and expand.get_attribute("aria-expanded") == "false"
    assert not severe_console_errors(browser)


def test_installable_app_and_the_shell_opens_offline(deployment, browser):
    server = deployment.serve()
    shell = requests.get(server.url + "/").text
    for tag in ['rel="manifest" href="/app/manifest.webmanifest"', 'rel="apple-touch-icon"', 'rel="icon" href="/app/icons/icon.svg"', 'name="theme-color"']:
        assert tag in shell, tag
    manifest = requests.get(server.url + "/app/manifest.webmanifest")
    assert manifest.headers["Content-Type"].startswith("application/manifest+json")
    body = manifest.json()
    assert body["display"] == "standalone" and body["start_url"] == "/"
    icons = {(i["sizes"], i.get("purpose", "any")): i["src"] for i in body["icons"]}
    assert ("512x512", "maskable") in icons and ("192x192", "any") in icons
    for (sizes, _), src in icons.items():
        r = requests.get(server.url + src)
        assert r.status_code == 200, src
        if sizes != "any":   # a PNG of the size the manifest states
            assert r.headers["Content-Type"] == "image/png" and r.content[:8] == b"\x89PNG\r\n\x1a\n"
            width, height = int.from_bytes(r.content[16:20], "big"), int.from_bytes(r.content[20:24], "big")
            assert f"{width}x{height}" == sizes, src
    favicon = requests.get(server.url + "/favicon.ico")
    assert favicon.status_code == 200 and favicon.headers["Content-Type"] == "image/png"
    worker = requests.get(server.url + "/sw.js")
    assert worker.status_code == 200 and "javascript" in worker.headers["Content-Type"]

    browser.get(server.url + "/")
    settled(browser, "/login")
    wait(browser, lambda d: d.execute_script("return !!navigator.serviceWorker.controller"), timeout=20)
    assert not severe_console_errors(browser)
    server.stop()
    browser.refresh()   # the server is gone: the app shell comes from the service worker
    settled(browser, "/login")
    assert browser.find_element(By.TAG_NAME, "h1").text == "Sign in to Cadenza"
    assert browser.execute_script("return getComputedStyle(document.body).fontFamily").startswith("system-ui")   # styled
    shot(browser, "offline-shell")


def test_album_cards_placeholder_art_and_context_menu(server_with_music, browser):
    server, token = server_with_music
    glass, orbit = album_id(server, token, "Glass Echo"), album_id(server, token, "Orbit")
    sign_in(browser, server)
    browser.get(server.url + "/#/albums")
    settled(browser, "/albums")
    cards = {c.find_element(By.CSS_SELECTOR, ".name").text: c for c in browser.find_elements(By.CSS_SELECTOR, "#albums .card")}
    # A cover when the album has one; else its initials on a colour drawn from its name.
    assert cards["Glass Echo"].find_elements(By.CSS_SELECTOR, ".art img")
    placeholder = cards["Orbit"].find_element(By.CSS_SELECTOR, ".art .noart")
    assert placeholder.get_attribute("data-initials") == "O" and placeholder.get_attribute("aria-hidden") == "true"
    assert "linear-gradient" in placeholder.value_of_css_property("background-image")
    # The card is a link (it opens in a new tab as any link does).
    link = cards["Glass Echo"].find_element(By.CSS_SELECTOR, "a[href]")
    assert link.get_attribute("href").endswith(f"#/albums/{glass}")
    # Play shows on hover (always on touch screens, and in headless chromium, which reports no
    # hover), not as a row of buttons under every card.
    play = cards["Orbit"].find_element(By.CSS_SELECTOR, "[data-item-act=now]")
    ActionChains(browser).move_to_element(browser.find_element(By.TAG_NAME, "h1")).perform()
    hovering = browser.execute_script("return matchMedia('(hover: hover)').matches")
    assert float(play.find_element(By.XPATH, "..").value_of_css_property("opacity")) == (0 if hovering else 1)
    assert len(cards["Orbit"].find_elements(By.TAG_NAME, "button")) == 2 + 4   # play, ⋯ and the menu's four actions
    ActionChains(browser).move_to_element(cards["Orbit"]).perform()
    wait(browser, lambda d: float(play.find_element(By.XPATH, "..").value_of_css_property("opacity")) == 1)
    # Right-click opens the card's menu; Escape closes it and gives the focus back to ⋯.
    ActionChains(browser).context_click(cards["Glass Echo"]).perform()
    toggle = cards["Glass Echo"].find_element(By.CSS_SELECTOR, "[data-menu]")
    menu = cards["Glass Echo"].find_element(By.CSS_SELECTOR, ".menu")
    wait(browser, lambda d: menu.is_displayed() and toggle.get_attribute("aria-expanded") == "true")
    items = [i.text for i in menu.find_elements(By.CSS_SELECTOR, "[role=menuitem]")]
    assert items == ["Play next", "Add to the queue", "Add to a playlist…", "Start instant mix", "Go to the artist"], items
    browser.switch_to.active_element.send_keys(Keys.ARROW_DOWN)
    assert browser.switch_to.active_element.text == "Add to the queue"
    browser.switch_to.active_element.send_keys(Keys.ESCAPE)
    wait(browser, lambda d: not menu.is_displayed())
    assert browser.switch_to.active_element == toggle
    # A menu item acts and closes the menu.
    press(browser, cards["Glass Echo"].find_element(By.CSS_SELECTOR, "[data-item-act=queue]"))
    wait(browser, lambda d: queue_titles(d) == ["Night River", "Paper Static"])
    wait(browser, lambda d: not menu.is_displayed())
    # A long press with a finger opens the menu, and lifting the finger does not follow the card's link.
    browser.execute_cdp_cmd("Emulation.setTouchEmulationEnabled", {"enabled": True, "maxTouchPoints": 1})
    box = browser.execute_script("const r = arguments[0].querySelector('.art').getBoundingClientRect(); return [r.x + r.width / 2, r.y + r.height / 2]",
                                 cards["Orbit"])
    touch = {"x": box[0], "y": box[1]}
    browser.execute_cdp_cmd("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [touch]})
    time.sleep(0.9)
    browser.execute_cdp_cmd("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    orbit_menu = cards["Orbit"].find_element(By.CSS_SELECTOR, ".menu")
    wait(browser, lambda d: orbit_menu.is_displayed())
    time.sleep(0.3)
    # The menu item that opened under the finger was not pressed by the lift either.
    assert browser.current_url.endswith("#/albums") and orbit_menu.is_displayed()
    assert queue_titles(browser) == ["Night River", "Paper Static"]
    browser.execute_cdp_cmd("Emulation.setTouchEmulationEnabled", {"enabled": False})
    assert not severe_console_errors(browser)


def test_sidebar_collapses_tab_bar_on_phones_and_accent_colour(server_with_music, browser):
    server, token = server_with_music
    sign_in(browser, server)
    browser.get(server.url + "/#/albums/1")
    settled(browser, "/albums/1")
    sidebar = browser.find_element(By.CSS_SELECTOR, ".sidebar")
    albums_link = sidebar.find_element(By.CSS_SELECTOR, "a[href='#/albums']")
    assert albums_link.get_attribute("aria-current") == "true"   # an album page is inside Albums
    wide = sidebar.size["width"]
    browser.find_element(By.ID, "collapse").click()
    wait(browser, lambda d: d.find_element(By.CSS_SELECTOR, ".sidebar").size["width"] < wide / 2)
    assert not albums_link.find_element(By.CSS_SELECTOR, ".label").is_displayed() or albums_link.find_element(By.CSS_SELECTOR, ".label").size["width"] <= 1
    assert browser.find_element(By.ID, "collapse").get_attribute("aria-expanded") == "false"
    browser.refresh()
    settled(browser, "/albums/1")
    assert browser.find_element(By.CSS_SELECTOR, ".sidebar").size["width"] < wide / 2   # remembered
    browser.find_element(By.ID, "collapse").click()
    # Phones: no sidebar; a tab bar at the bottom, above which the mini player sits.
    viewport(browser, "phone")
    wait(browser, lambda d: not d.find_element(By.CSS_SELECTOR, ".sidebar").is_displayed())
    tabbar = browser.find_element(By.CSS_SELECTOR, "nav.tabbar")
    assert tabbar.is_displayed()
    assert [a.text for a in tabbar.find_elements(By.TAG_NAME, "a")] == ["Home", "Search", "Library", "History", "Settings"]
    footer = browser.find_element(By.TAG_NAME, "footer")
    assert footer.rect["y"] + footer.rect["height"] <= tabbar.rect["y"] + 1
    tabbar.find_element(By.CSS_SELECTOR, "a[href='#/settings']").click()
    settled(browser, "/settings")
    browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    # The accent colour is the user's choice, kept on this browser.
    before = browser.execute_script("return getComputedStyle(document.documentElement).getPropertyValue('--accent')")
    browser.find_element(By.CSS_SELECTOR, "#accent input[value=violet]").click()
    assert browser.execute_script("return document.documentElement.dataset.accent") == "violet"
    after = browser.execute_script("return getComputedStyle(document.documentElement).getPropertyValue('--accent')")
    assert after != before
    browser.refresh()
    settled(browser, "/settings")
    assert browser.execute_script("return document.documentElement.dataset.accent") == "violet"
    assert browser.find_element(By.CSS_SELECTOR, "#accent input[value=violet]").is_selected()
    assert_accessible(browser, "settings with a violet accent")


def test_setup_and_share_pages_share_the_design(server_with_music, browser):
    server, token = server_with_music
    # A share made the way Subsonic apps make one (createShare, with the app password).
    assert requests.put(server.url + "/api/v1/me/subsonic-password", json={"password": "share-pass-1", "currentPassword": "admin-password-1"},
                        headers=auth(token)).status_code == 200
    made = requests.get(server.url + "/rest/createShare", params={"u": "root", "p": "share-pass-1", "v": "1.16.1", "c": "tests", "f": "json",
                                                                  "id": f"al-{album_id(server, token, 'Glass Echo')}", "description": "For you"}).json()
    share_path = "/share/" + made["subsonic-response"]["shares"]["share"][0]["url"].split("/share/")[1]
    for scheme in ("light", "dark"):
        browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": [{"name": "prefers-color-scheme", "value": scheme}]})
        browser.get(server.url + "/setup")
        card = wait(browser, lambda d: d.find_element(By.CSS_SELECTOR, "main.auth-card"))
        assert card.find_element(By.TAG_NAME, "h1").text == "Welcome to Cadenza"
        assert card.find_element(By.CSS_SELECTOR, "button[type=submit]").value_of_css_property("border-radius") != "0px"
        assert_accessible(browser, f"setup {scheme}")
        assert not severe_console_errors(browser)
        shot(browser, f"setup-{scheme}")
        browser.get(server.url + share_path)
        card = wait(browser, lambda d: d.find_element(By.CSS_SELECTOR, "main.auth-card.share"))
        assert card.find_element(By.TAG_NAME, "h1").text == "For you" and len(card.find_elements(By.TAG_NAME, "audio")) == 2
        assert_accessible(browser, f"share {scheme}")
        assert not severe_console_errors(browser)
        shot(browser, f"share-{scheme}")
    browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": []})


def test_album_page_header_and_play_counts(server_with_music, browser):
    server, token = server_with_music
    ids = ids_by_title(server, token)
    glass = album_id(server, token, "Glass Echo")
    assert requests.post(server.url + "/api/v1/plays", headers=auth(token), json={"trackId": ids["Night River"], "event": "played"}).status_code == 204
    # The album's tracks carry the caller's play counts (counted from listens, as Subsonic's are).
    assert wait_for(lambda: {t["title"]: t["playCount"] for t in requests.get(f"{server.url}/api/v1/albums/{glass}", headers=auth(token)).json()["tracks"]}
             == {"Night River": 1, "Paper Static": 0})
    sign_in(browser, server)
    browser.get(f"{server.url}/#/albums/{glass}")
    settled(browser, f"/albums/{glass}")
    header = browser.find_element(By.CSS_SELECTOR, "header.hero")
    assert header.find_element(By.TAG_NAME, "h1").text == "Glass Echo"
    facts = header.find_element(By.CSS_SELECTOR, ".facts").text
    assert "Kaloven" in facts and "2004" in facts and "Rock" in facts and "2 tracks" in facts
    assert header.find_element(By.ID, "shuffle-all").is_displayed()
    plays = {row.find_element(By.CSS_SELECTOR, "td:nth-child(2)").text: row.find_element(By.CSS_SELECTOR, "td.col-plays").text
             for row in browser.find_elements(By.CSS_SELECTOR, "table.tracks tbody tr")}
    assert plays == {"Night River": "1", "Paper Static": ""}
    press(browser, header.find_element(By.ID, "shuffle-all"))
    wait(browser, lambda d: sorted(queue_titles(d)) == ["Night River", "Paper Static"])


def test_radio_page_starts_a_station_and_plays_it(server_with_music, browser):
    server, token = server_with_music
    sign_in(browser, server)
    browser.get(server.url + "/#/radio")
    settled(browser, "/radio")
    assert "No stations yet" in browser.find_element(By.ID, "stations").text
    browser.find_element(By.ID, "st-name").send_keys("Late Night Café")
    assert browser.find_element(By.ID, "st-slug").get_attribute("value") == "late-night-cafe"
    browser.find_element(By.CSS_SELECTOR, "#new-station button[type=submit]").click()
    wait(browser, lambda d: d.current_url.endswith("#/radio/late-night-cafe"))
    assert browser.title == "Late Night Café – Cadenza"
    titles = {"Night River", "Paper Static", "Lantern"}
    wait(browser, lambda d: d.find_elements(By.ID, "np-title") and d.find_element(By.ID, "np-title").text in titles)
    # Listening plays the mount in the page, and the server counts the listener.
    browser.find_element(By.ID, "listen").click()
    wait(browser, lambda d: d.execute_script("return document.getElementById('station-audio').currentTime") > 1, timeout=20)
    assert browser.find_element(By.ID, "listen").get_attribute("aria-pressed") == "true"
    np = lambda: requests.get(server.url + "/api/v1/stations/late-night-cafe/now-playing").json()
    assert np()["listeners"]["current"] == 1
    # What airs next comes live over the event stream: the title on the page follows what the
    # listener hears, the mount's delay after it airs.
    def heard():
        from datetime import datetime
        state = np()
        delay = next(o["delayMs"] for o in state["outputs"] if o["output"] == "mp3") / 1000
        at = lambda text: datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
        aired = [(at(state["nowPlaying"]["playedAt"]), state["nowPlaying"]["song"]["title"])]
        aired += [(at(e["startedAt"]), e["title"]) for e in state["songHistory"]]
        return max((a for a in aired if a[0] + delay <= time.time()), default=(0, None))[1]
    wait(browser, lambda d: d.find_element(By.ID, "np-title").text == heard(), timeout=10)
    assert 2_000 <= next(o["delayMs"] for o in np()["outputs"] if o["output"] == "mp3") <= 5_000
    before = np()["nowPlaying"]["playedAt"]
    browser.find_element(By.ID, "skip").click()
    wait(browser, lambda d: np()["nowPlaying"]["playedAt"] != before, timeout=10)
    wait(browser, lambda d: d.find_element(By.ID, "np-title").text == heard(), timeout=10)
    assert browser.find_element(By.ID, "recent").find_elements(By.TAG_NAME, "li")
    assert browser.find_element(By.ID, "as-run").get_attribute("href").endswith("/api/v1/stations/late-night-cafe/history?format=csv")
    # The manager finds a track and puts it next; the page's Next list shows it.
    browser.find_element(By.ID, "request-q").send_keys("Lantern")
    browser.find_element(By.CSS_SELECTOR, "#request-form button[type=submit]").click()
    wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#request-results button[data-request]"))
    browser.find_element(By.CSS_SELECTOR, "#request-results button[data-request]").click()
    wait(browser, lambda d: "Lantern plays next." in d.find_element(By.ID, "station-status").text)
    wait(browser, lambda d: d.find_element(By.CSS_SELECTOR, "#next li").text.startswith("Lantern"))
    # Listener figures: this browser is one listener of the MP3 mount.
    wait(browser, lambda d: "MP3: 1" in d.find_element(By.ID, "listener-stats").text, timeout=10)
    # Stopping closes the stream; leaving the page stops it too.
    press(browser, browser.find_element(By.ID, "listen"))
    wait(browser, lambda d: np()["listeners"]["current"] == 0, timeout=10)
    browser.get(server.url + "/#/radio")
    settled(browser, "/radio")
    wait(browser, lambda d: "Late Night Café" in d.find_element(By.ID, "stations").text)
    shot(browser, "radio")
    assert not severe_console_errors(browser)


def test_a_public_station_page_plays_to_visitors_who_are_not_signed_in(server_with_music, browser, tmp_path):
    server, token = server_with_music
    h = auth(token)
    assert requests.post(server.url + "/api/v1/stations", headers=h, json={"slug": "open-air", "name": "Open Air"}).status_code == 201
    assert requests.post(server.url + "/api/v1/stations", headers=h,
                         json={"slug": "back-room", "name": "Back Room", "visibility": "private"}).status_code == 201
    np = lambda: requests.get(server.url + "/api/v1/stations/open-air/now-playing").json()
    browser.get(server.url + "/#/radio/open-air")
    settled(browser, "/radio/open-air")
    assert browser.title == "Open Air – Cadenza"
    titles = {"Night River", "Paper Static", "Lantern"}
    wait(browser, lambda d: d.find_elements(By.ID, "np-title") and d.find_element(By.ID, "np-title").text in titles)
    # A visitor listens, and sees nothing that manages the station.
    assert not browser.find_elements(By.ID, "skip") and not browser.find_elements(By.ID, "shows")
    browser.find_element(By.ID, "listen").click()
    wait(browser, lambda d: d.execute_script("return document.getElementById('station-audio').currentTime") > 1, timeout=20)
    assert np()["listeners"]["current"] == 1
    # With no event stream the page asks again: a skip by the owner reaches it.
    before = np()["nowPlaying"]
    assert requests.post(server.url + "/api/v1/stations/open-air/skip", headers=h).status_code in (200, 202, 204)
    wait(browser, lambda d: np()["nowPlaying"]["playedAt"] != before["playedAt"], timeout=10)
    after = np()["nowPlaying"]["song"]["title"]
    wait(browser, lambda d: before["song"]["title"] in d.find_element(By.ID, "recent").text, timeout=25)
    wait(browser, lambda d: d.find_element(By.ID, "np-title").text == after, timeout=25)
    assert browser.find_element(By.CSS_SELECTOR, "html").get_attribute("data-route") == "/radio/open-air"
    # The visitor sees the cover of what airs (Night River's album has one), served by the station.
    loaded = "const i = document.getElementById('np-art'); return i && i.complete && i.naturalWidth > 0 ? i.getAttribute('src') : null"
    wait(browser, lambda d: d.find_element(By.ID, "np-title").text == "Night River" and "/tracks/" in (d.execute_script(loaded) or ""), timeout=60)
    # A private station is not found signed out; signing in from there comes back to it.
    browser.get(server.url + "/#/radio/back-room")
    settled(browser, "/radio/back-room")
    wait(browser, lambda d: d.find_elements(By.ID, "sign-in"))
    assert "Back Room" not in browser.find_element(By.ID, "main").text
    browser.find_element(By.ID, "sign-in").click()
    settled(browser, "/login")
    browser.find_element(By.ID, "username").send_keys("root")
    browser.find_element(By.ID, "password").send_keys("admin-password-1")
    browser.find_element(By.CSS_SELECTOR, "#login button[type=submit]").click()
    settled(browser, "/radio/back-room")
    wait(browser, lambda d: d.find_element(By.TAG_NAME, "h1").text == "Back Room")
    assert browser.find_element(By.ID, "skip").is_displayed()
    # Its owner names a manager and a DJ on the page; the server holds them.
    assert requests.post(server.url + "/api/v1/users", headers=h, json={"username": "mara", "password": "mara-password-1"}).status_code == 201
    managers = browser.find_element(By.ID, "people-managers")
    managers.send_keys("mara")
    browser.find_element(By.ID, "people-djs").send_keys("mara, root")
    press(browser, browser.find_element(By.CSS_SELECTOR, "#people-form button[type=submit]"))
    wait(browser, lambda d: "Saved." in d.find_element(By.ID, "station-status").text)
    assert requests.get(server.url + "/api/v1/stations/back-room/managers", headers=h).json() == {"usernames": ["mara"]}
    assert requests.get(server.url + "/api/v1/stations/back-room/djs", headers=h).json() == {"usernames": ["mara", "root"]}
    assert browser.find_element(By.ID, "people-djs").get_attribute("value") == "mara, root"
    # The station's own settings: renamed, opened to everyone, given HLS beside its MP3 mount.
    name = browser.find_element(By.ID, "settings-name")
    name.clear()
    name.send_keys("Back Room Radio")
    Select(browser.find_element(By.ID, "settings-visibility")).select_by_value("public")
    press(browser, browser.find_element(By.CSS_SELECTOR, "input[name=settings-output][value=hls]"))
    press(browser, browser.find_element(By.CSS_SELECTOR, "#settings-form button[type=submit]"))
    wait(browser, lambda d: d.find_element(By.TAG_NAME, "h1").text == "Back Room Radio")
    station = requests.get(server.url + "/api/v1/stations/back-room", headers=h).json()
    assert (station["name"], station["visibility"], station["outputs"]) == ("Back Room Radio", "public", ["mp3", "hls"]), station
    assert requests.get(server.url + "/api/v1/stations/back-room").status_code == 200   # public now
    # A picture for the station, chosen on the page.
    picture = tmp_path / "station.png"
    subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-y", "-f", "lavfi", "-i", "color=c=teal:s=400x400",
                    "-frames:v", "1", str(picture)], check=True)
    browser.find_element(By.ID, "art-file").send_keys(str(picture))
    press(browser, browser.find_element(By.CSS_SELECTOR, "#art-form button[type=submit]"))
    wait(browser, lambda d: "new picture" in d.find_element(By.ID, "station-status").text)
    hero = "const i = document.getElementById('station-art'); return i && i.complete && i.naturalWidth > 0 ? i.getAttribute('src') : null"
    wait(browser, lambda d: (d.execute_script(hero) or "").startswith("/api/v1/stations/back-room/artwork?v="))
    assert requests.get(server.url + "/api/v1/stations/back-room").json()["artworkUrl"] in browser.execute_script(hero)
    assert not severe_console_errors(browser)


def test_a_private_stations_manager_sees_it_change_without_its_owners_events(server_with_music, browser):
    """A private station announces what plays to its owner alone: its manager's page asks instead."""
    server, token = server_with_music
    h = auth(token)
    assert requests.post(server.url + "/api/v1/stations", headers=h, json={"slug": "staff", "name": "Staff", "visibility": "private"}).status_code == 201
    assert requests.post(server.url + "/api/v1/users", headers=h, json={"username": "mara", "password": "mara-password-1"}).status_code == 201
    assert requests.put(server.url + "/api/v1/stations/staff/managers", headers=h, json={"usernames": ["mara"]}).status_code == 200
    np = lambda: requests.get(server.url + "/api/v1/stations/staff/now-playing", headers=h).json()
    assert wait_for(lambda: np().get("nowPlaying"), timeout=15)
    sign_in(browser, server, "mara", "mara-password-1")
    browser.get(server.url + "/#/radio/staff")
    settled(browser, "/radio/staff")
    titles = {"Night River", "Paper Static", "Lantern"}
    wait(browser, lambda d: d.find_elements(By.ID, "np-title") and d.find_element(By.ID, "np-title").text in titles)
    for _ in range(2):
        before = np()["nowPlaying"]
        assert requests.post(server.url + "/api/v1/stations/staff/skip", headers=h).status_code == 202
        assert wait_for(lambda: np()["nowPlaying"]["playedAt"] != before["playedAt"], timeout=10)
        after = np()["nowPlaying"]["song"]["title"]
        wait(browser, lambda d: before["song"]["title"] in d.find_element(By.ID, "recent").text, timeout=25)
        wait(browser, lambda d: d.find_element(By.ID, "np-title").text == after, timeout=25)
    assert not severe_console_errors(browser)


def test_station_page_schedules_a_show_from_a_copied_playlist(server_with_music, browser):
    server, token = server_with_music
    h = auth(token)
    assert requests.post(server.url + "/api/v1/stations", headers=h,
                         json={"slug": "calendar", "name": "Calendar FM", "timeZone": "Europe/Berlin"}).status_code == 201
    tracks = requests.get(server.url + "/api/v1/tracks", headers=h).json()["items"]
    assert requests.post(server.url + "/api/v1/playlists", headers=h,
                         json={"name": "Morning Mix", "trackIds": [t["id"] for t in tracks[:2]]}).status_code == 201
    sign_in(browser, server)
    browser.get(server.url + "/#/radio/calendar")
    settled(browser, "/radio/calendar")
    assert "No shows yet" in browser.find_element(By.ID, "shows").text
    # The manager copies one of their playlists to the station...
    wait(browser, lambda d: "Morning Mix (2)" in d.find_element(By.ID, "list-source").text)
    browser.find_element(By.CSS_SELECTOR, "#list-form button[type=submit]").click()
    wait(browser, lambda d: "Morning Mix" in d.find_element(By.ID, "station-lists").text)
    wait(browser, lambda d: "Morning Mix" in d.find_element(By.ID, "show-playlist").text)
    # Its entries' own cue points and fades, and their order, set on the page.
    press(browser, browser.find_element(By.CSS_SELECTOR, "#station-lists button[data-edit-list]"))
    rows = lambda d: d.find_elements(By.CSS_SELECTOR, "#entries-form tr[data-index]")
    wait(browser, lambda d: len(rows(d)) == 2)
    rows(browser)[0].find_element(By.CSS_SELECTOR, "input[data-field=cueInMs]").send_keys("1.5")
    rows(browser)[0].find_element(By.CSS_SELECTOR, "input[data-field=fadeOutMs]").send_keys("500")
    press(browser, rows(browser)[1].find_element(By.CSS_SELECTOR, "button[data-up]"))
    browser.find_element(By.CSS_SELECTOR, "#entries-form button[type=submit]").click()
    wait(browser, lambda d: "Morning Mix saved." in d.find_element(By.ID, "station-status").text)
    listed = requests.get(server.url + "/api/v1/stations/calendar/playlists", headers=h).json()[0]
    entries = requests.get(server.url + f"/api/v1/stations/calendar/playlists/{listed['id']}", headers=h).json()["entries"]
    assert [e["trackId"] for e in entries] == [tracks[1]["id"], tracks[0]["id"]], entries
    assert (entries[1].get("cueInMs"), entries[1].get("fadeOutMs"), entries[1].get("cueOutMs")) == (1500, 500, None), entries
    # A cue-out before the cue-in is refused in the server's words, and nothing changes.
    rows(browser)[1].find_element(By.CSS_SELECTOR, "input[data-field=cueOutMs]").send_keys("1")
    browser.find_element(By.CSS_SELECTOR, "#entries-form button[type=submit]").click()
    wait(browser, lambda d: "cue-in before cue-out" in d.find_element(By.ID, "station-status").text)
    assert requests.get(server.url + f"/api/v1/stations/calendar/playlists/{listed['id']}", headers=h).json()["entries"] == entries
    press(browser, browser.find_element(By.CSS_SELECTOR, "#entries-form button[data-close]"))
    # ...and schedules a weekly breakfast show on it, from tomorrow at 08:00 station time.
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo
    tomorrow = (datetime.now(ZoneInfo("Europe/Berlin")) + timedelta(days=1)).strftime("%Y-%m-%d")
    browser.find_element(By.ID, "show-title").send_keys("Breakfast")
    Select(browser.find_element(By.ID, "show-playlist")).select_by_visible_text("Morning Mix")
    # Its intro: a track of the station's playlists.
    wait(browser, lambda d: tracks[0]["title"] in d.find_element(By.ID, "show-intro").text)
    Select(browser.find_element(By.ID, "show-intro")).select_by_value(tracks[0]["id"])
    browser.execute_script("document.getElementById('show-date').value = arguments[0];"
                           "document.getElementById('show-time').value = '08:00';", tomorrow)
    browser.find_element(By.CSS_SELECTOR, "#show-form button[type=submit]").click()
    wait(browser, lambda d: "Breakfast" in d.find_element(By.ID, "shows").text)
    day = lambda d: d.find_element(By.CSS_SELECTOR, f"#week section[aria-label='{tomorrow}']")
    wait(browser, lambda d: "08:00–09:00 Breakfast" in day(d).text)
    show = requests.get(server.url + "/api/v1/stations/calendar/shows").json()[0]
    assert show["playlistId"] and show["repeat"] == "weekly" and show["startTime"] == "08:00"
    assert show["introTrackId"] == tracks[0]["id"] and "outroTrackId" not in show, show
    # One occurrence cancelled from the calendar, then restored.
    press(browser, day(browser).find_element(By.CSS_SELECTOR, "button[data-show]"))
    wait(browser, lambda d: "(cancelled)" in day(d).text)
    occurrence = lambda: next(o for o in requests.get(server.url + "/api/v1/stations/calendar/schedule").json() if o["date"] == tomorrow)
    assert occurrence()["cancelled"]
    shot(browser, "station-schedule")
    press(browser, day(browser).find_element(By.CSS_SELECTOR, "button[data-show]"))
    wait(browser, lambda d: "(cancelled)" not in day(d).text)
    assert not occurrence()["cancelled"]
    # A clash is refused with the server's words.
    browser.find_element(By.ID, "show-title").send_keys("Clash")
    browser.execute_script("document.getElementById('show-date').value = arguments[0];"
                           "document.getElementById('show-time').value = '08:30';", tomorrow)
    browser.find_element(By.CSS_SELECTOR, "#show-form button[type=submit]").click()
    wait(browser, lambda d: "overlaps" in d.find_element(By.ID, "station-status").text)
    # Dragged to the next day's column, tomorrow's occurrence airs then, at its own time.
    after = (datetime.now(ZoneInfo("Europe/Berlin")) + timedelta(days=2)).strftime("%Y-%m-%d")
    target = lambda d: d.find_element(By.CSS_SELECTOR, f"#week section[aria-label='{after}']")
    # The calendar in view and settled (a schedule event re-renders it), then the drag. The
    # station's lists above the calendar grow as tracks air (every 3 s here), moving it under a
    # still pointer: a press that lands as it moves misses the show, as a person's would, and is
    # tried again.
    moved_there = lambda d: "08:00–09:00 Breakfast" in target(d).text and "Breakfast" not in day(d).text
    for attempt in range(3):
        browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", browser.find_element(By.ID, "week"))
        time.sleep(0.5)
        item = day(browser).find_element(By.CSS_SELECTOR, "li.draggable span")
        # (Onto the column's heading: the player bar covers the bottom of the window.)
        ActionChains(browser).click_and_hold(item).move_to_element(target(browser).find_element(By.TAG_NAME, "h3")).pause(0.2).release().perform()
        try:
            wait(browser, moved_there, timeout=5)
            break
        except TimeoutException:
            assert attempt < 2, "the show was not moved by dragging it"
    moved = next(o for o in requests.get(server.url + "/api/v1/stations/calendar/schedule").json() if o["date"] == tomorrow)
    assert moved["moved"] and moved["localStart"] == f"{after}T08:00", moved
    # The Move form does the same from the keyboard: to 10:30 that day.
    press(browser, target(browser).find_element(By.CSS_SELECTOR, "button[data-move]"))
    time_box = wait(browser, lambda d: d.find_element(By.ID, "move-time"))
    browser.execute_script("arguments[0].value = '10:30';", time_box)
    browser.find_element(By.CSS_SELECTOR, ".move-form button[type=submit]").click()
    wait(browser, lambda d: "10:30–11:30 Breakfast" in target(d).text)
    # The show edited on the page: renamed, given hosts, every three weeks until a last date; what
    # the form was not asked to change stays.
    press(browser, browser.find_element(By.CSS_SELECTOR, "#shows button[data-edit-show]"))
    wait(browser, lambda d: d.find_element(By.ID, "show-title").get_attribute("value") == "Breakfast")
    assert browser.find_element(By.ID, "show-time").get_attribute("value") == "08:00"
    assert browser.find_element(By.ID, "show-legend").text == "Edit Breakfast"
    title = browser.find_element(By.ID, "show-title")
    title.clear()
    title.send_keys("Early Breakfast")
    browser.find_element(By.ID, "show-hosts").send_keys("Ada, Bo")
    Select(browser.find_element(By.ID, "show-repeat")).select_by_value("weekly-3")
    until = (datetime.now(ZoneInfo("Europe/Berlin")) + timedelta(days=120)).strftime("%Y-%m-%d")
    browser.execute_script("document.getElementById('show-until').value = arguments[0];", until)
    browser.find_element(By.CSS_SELECTOR, "#show-form button[type=submit]").click()
    wait(browser, lambda d: "Early Breakfast saved." in d.find_element(By.ID, "station-status").text)
    edited = requests.get(server.url + "/api/v1/stations/calendar/shows").json()
    assert len(edited) == 1, edited
    assert (edited[0]["title"], edited[0]["hosts"], edited[0]["every"], edited[0]["until"], edited[0]["startTime"]) == (
        "Early Breakfast", ["Ada", "Bo"], 3, until, "08:00"), edited
    assert edited[0]["playlistId"] == show["playlistId"] and edited[0]["introTrackId"] == tracks[0]["id"], edited
    wait(browser, lambda d: "every 3 weeks" in d.find_element(By.ID, "shows").text and "with Ada, Bo" in d.find_element(By.ID, "shows").text)
    assert browser.find_element(By.ID, "show-legend").text == "New show" and not browser.find_element(By.ID, "show-title").get_attribute("value")
    # A smart block, written with its live preview: Kaloven's songs, two of them.
    browser.find_element(By.ID, "block-name").send_keys("Kaloven hour")
    rule = browser.find_element(By.CSS_SELECTOR, "#block-form .rule-row")
    Select(rule.find_element(By.CSS_SELECTOR, "[data-part=field]")).select_by_visible_text("Artist")
    Select(rule.find_element(By.CSS_SELECTOR, "[data-part=op]")).select_by_visible_text("contains")
    rule.find_element(By.CSS_SELECTOR, "[data-part=value]").send_keys("kalov")
    wait(browser, lambda d: d.find_element(By.ID, "block-count").text == "2 tracks match")
    assert "Night River" in browser.find_element(By.ID, "block-tracks").text
    # A second rule in the same group narrows it: all of them must hold.
    press(browser, browser.find_element(By.CSS_SELECTOR, "#block-form [data-add-rule]"))
    second = browser.find_elements(By.CSS_SELECTOR, "#block-form .rule-row")[1]
    Select(second.find_element(By.CSS_SELECTOR, "[data-part=field]")).select_by_visible_text("Title")
    second.find_element(By.CSS_SELECTOR, "[data-part=value]").send_keys("paper static")
    wait(browser, lambda d: d.find_element(By.ID, "block-count").text == "1 track match")
    browser.find_element(By.ID, "block-weight").clear()
    browser.find_element(By.ID, "block-weight").send_keys("3")
    browser.find_element(By.CSS_SELECTOR, "#block-form button[type=submit]").click()
    wait(browser, lambda d: "Kaloven hour smart block" in d.find_element(By.ID, "station-lists").text)
    block = next(p for p in requests.get(server.url + "/api/v1/stations/calendar/playlists", headers=h).json() if p["name"] == "Kaloven hour")
    assert block["kind"] == "smart" and block["rotationWeight"] == 3 and len(block["smart"]["criteria"]["groups"][0]["rules"]) == 2
    # That one occurrence given other content from the calendar (the block), keeping its new time.
    press(browser, target(browser).find_element(By.CSS_SELECTOR, "button[data-move]"))
    wait(browser, lambda d: "Kaloven hour" in d.find_element(By.ID, "move-playlist").text)
    Select(browser.find_element(By.ID, "move-playlist")).select_by_visible_text("Kaloven hour")
    browser.find_element(By.CSS_SELECTOR, ".move-form button[type=submit]").click()
    wait(browser, lambda d: "moved to" in d.find_element(By.ID, "station-status").text)
    given = next(o for o in requests.get(server.url + "/api/v1/stations/calendar/schedule").json() if o["date"] == tomorrow)
    assert given["playlistId"] == block["id"] and given["localStart"] == f"{after}T10:30", given
    # Sound: loudness normalisation off, an hourly station ID from the copied playlist.
    normalize = browser.find_element(By.ID, "sound-normalize")
    if normalize.is_selected():
        press(browser, normalize)
    wait(browser, lambda d: "Morning Mix" in d.find_element(By.ID, "sound-jingles").text)
    Select(browser.find_element(By.ID, "sound-jingles")).select_by_visible_text("Morning Mix")
    browser.find_element(By.ID, "sound-minute").send_keys("30")
    assert Select(browser.find_element(By.ID, "sound-bitrate")).first_selected_option.text == "128"
    Select(browser.find_element(By.ID, "sound-bitrate")).select_by_visible_text("96")
    assert Select(browser.find_element(By.ID, "sound-curve")).first_selected_option.get_attribute("value") == "equalPower"
    Select(browser.find_element(By.ID, "sound-curve")).select_by_value("sCurve")
    browser.find_element(By.CSS_SELECTOR, "#sound-form button[type=submit]").click()
    wait(browser, lambda d: d.find_element(By.ID, "station-status").text == "Saved.")
    station = requests.get(server.url + "/api/v1/stations/calendar", headers=h).json()
    assert station.get("targetLufs") is None and station["jingleMinute"] == 30 and station["jinglePlaylistId"], station
    assert station["bitrate"] == 96 and station["crossfadeCurve"] == "sCurve"
    # Relays (administrators): typed one per line, shown back without their passwords, with how
    # each is doing (nothing listens on that port: refused, said on the page as it happens).
    from conftest import free_port
    port = free_port()
    assert "Not relayed." in browser.find_element(By.ID, "relays-now").text
    browser.find_element(By.ID, "relays-urls").send_keys(f"icecast://source:s3cret@127.0.0.1:{port}/night.mp3\n shoutcast://:s3cret@127.0.0.1:{port}?format=aac \n")
    browser.find_element(By.CSS_SELECTOR, "#relays-form button[type=submit]").click()
    wait(browser, lambda d: len(d.find_elements(By.CSS_SELECTOR, "#relays-now li")) == 2)
    shown = browser.find_element(By.ID, "relays-now").text
    assert f"icecast://source:***@127.0.0.1:{port}/night.mp3" in shown and f"shoutcast://:***@127.0.0.1:{port}?format=aac" in shown, shown
    wait(browser, lambda d: all("not connected: could not connect" in li.text and "refused" in li.text
                                for li in d.find_elements(By.CSS_SELECTOR, "#relays-now li")), timeout=20)
    assert "s3cret" not in browser.page_source and browser.find_element(By.ID, "relays-urls").get_attribute("value") == ""
    assert len(requests.get(server.url + "/api/v1/stations/calendar", headers=h).json()["pushUrls"]) == 2
    browser.find_element(By.ID, "relays-urls").send_keys("icecast://no-password@127.0.0.1:8000/x.mp3")
    browser.find_element(By.CSS_SELECTOR, "#relays-form button[type=submit]").click()
    wait(browser, lambda d: "source user and password" in d.find_element(By.ID, "station-status").text)
    shot(browser, "station-blocks")
    assert not severe_console_errors(browser)


def test_a_guest_on_a_phone_suggests_and_votes_and_the_hosts_speaker_plays_it(server_with_music, browser):
    server, token = server_with_music
    h = auth(token)
    sign_in(browser, server)
    browser.get(server.url + "/#/party")
    settled(browser, "/party")
    browser.find_element(By.ID, "room-name").send_keys("Garden Party")
    assert browser.find_element(By.ID, "room-slug").get_attribute("value") == "garden-party"
    browser.find_element(By.CSS_SELECTOR, "#new-room button[type=submit]").click()
    wait(browser, lambda d: d.current_url.endswith("#/party/garden-party") and d.find_elements(By.ID, "join-link"))
    link = browser.find_element(By.ID, "join-link").get_attribute("href")
    assert "code=" in link
    # The link's QR code, drawn by the server, shows on the host's page.
    wait(browser, lambda d: d.execute_script("const i = document.getElementById('join-qr'); return i.complete && i.naturalWidth > 0"))
    # The guest: another browser, phone-sized, not signed in.
    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium")
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--window-size=390,844", "--mute-audio"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    phone = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        phone.get(link)
        wait(phone, lambda d: d.find_elements(By.ID, "guest-name"))
        assert phone.find_element(By.ID, "join-code").get_attribute("value")
        phone.find_element(By.ID, "guest-name").send_keys("Robin")
        phone.find_element(By.CSS_SELECTOR, "#join-room button[type=submit]").click()
        wait(phone, lambda d: "You are Robin." in d.find_element(By.TAG_NAME, "main").text)
        phone.find_element(By.ID, "suggest-q").send_keys("Lantern")
        phone.find_element(By.CSS_SELECTOR, "#suggest-form button[type=submit]").click()
        wait(phone, lambda d: d.find_elements(By.CSS_SELECTOR, "#suggest-results button[data-suggest]"))
        phone.find_element(By.CSS_SELECTOR, "#suggest-results button[data-suggest]").click()
        wait(phone, lambda d: "Lantern" in d.find_element(By.ID, "queue").text)
        # Her suggestion starts with her own upvote, shown pressed.
        up = phone.find_element(By.CSS_SELECTOR, "#queue button[data-vote]")
        assert up.get_attribute("aria-pressed") == "true"
        shot(phone, "party-guest")
        # The host's page follows; a vote changes the score on both screens, live.
        wait(browser, lambda d: "Lantern" in d.find_element(By.ID, "queue").text, timeout=10)
        score = lambda d: d.find_element(By.CSS_SELECTOR, "#queue .score").text
        assert score(browser) == "1"
        phone.find_elements(By.CSS_SELECTOR, "#queue button[data-vote]")[1].click()
        wait(phone, lambda d: score(d) == "-1")
        wait(browser, lambda d: score(d) == "-1", timeout=10)
        phone.find_elements(By.CSS_SELECTOR, "#queue button[data-vote]")[0].click()
        wait(browser, lambda d: score(d) == "1", timeout=10)
        # The host's settings: upvotes only and a forbidden word; the guest's page then offers
        # no downvote.
        press(browser, browser.find_element(By.CSS_SELECTOR, "#room-settings summary"))
        Select(browser.find_element(By.ID, "set-interactivity")).select_by_value("upvotes_only")
        browser.find_element(By.ID, "set-words").send_keys("Karaoke")
        browser.find_element(By.CSS_SELECTOR, "#settings-form button[type=submit]").click()
        wait(browser, lambda d: d.find_element(By.ID, "settings-status").text == "Settings saved.")
        saved = requests.get(server.url + "/api/v1/rooms/garden-party", headers=h).json()["settings"]
        assert saved["interactivity"] == "upvotes_only" and saved["forbiddenWords"] == ["karaoke"]
        wait(phone, lambda d: len(d.find_elements(By.CSS_SELECTOR, "#queue button[data-vote]")) == 1, timeout=10)
        # The speaker plays the queue and the server's clock starts.
        press(browser, browser.find_element(By.ID, "speaker"))
        state = lambda: requests.get(server.url + "/api/v1/rooms/garden-party", headers=h).json()
        wait(browser, lambda d: (state().get("nowPlaying") or {}).get("track", {}).get("title") == "Lantern", timeout=20)
        wait(browser, lambda d: d.execute_script("return document.getElementById('speaker-audio').currentTime") > 1, timeout=20)
        assert state()["queue"] == []
        # The guest sees it playing.
        wait(phone, lambda d: "Lantern" in d.find_element(By.ID, "playing").text, timeout=10)
        # A new link made elsewhere (another device, or a guest banned): the page's link follows.
        fresh = requests.post(server.url + "/api/v1/rooms/garden-party/code", headers=h).json()["joinUrl"]
        wait(browser, lambda d: d.find_element(By.ID, "join-link").get_attribute("href") == fresh, timeout=10)
        # The volume set from a remote (Subsonic setGain, or the API) is the speaker's.
        assert requests.patch(server.url + "/api/v1/rooms/garden-party", headers=h, json={"gain": 0.4}).status_code == 200
        wait(browser, lambda d: abs(d.execute_script("return document.getElementById('speaker-audio').volume") - 0.4) < 0.01, timeout=10)
        # Skipped from elsewhere (the host's phone, or the guests' downvotes): the speaker stops it
        # and plays the next song.
        river = next(t["id"] for t in requests.get(server.url + "/api/v1/tracks", headers=h).json()["items"] if t["title"] == "Night River")
        assert requests.post(server.url + "/api/v1/rooms/garden-party/suggestions", headers=h, json={"trackId": river}).status_code == 201
        assert requests.post(server.url + "/api/v1/rooms/garden-party/control/skip", headers=h).status_code == 200
        wait(browser, lambda d: (state().get("nowPlaying") or {}).get("track", {}).get("title") == "Night River", timeout=20)
        history_titles = lambda: [e["track"]["title"] for e in state()["queue"]]
        assert history_titles() == []
        # The party's screen: the room full screen, what plays large, the code to join beside it.
        press(browser, browser.find_element(By.ID, "stage-open"))
        stage_title = lambda d: d.find_element(By.CSS_SELECTOR, "#stage-now .stage-title").text
        now_title = lambda: ((state().get("nowPlaying") or {}).get("track") or {}).get("title") or "Garden Party"
        wait(browser, lambda d: d.find_element(By.ID, "stage").is_displayed() and stage_title(d) == now_title(), timeout=10)
        wait(browser, lambda d: d.execute_script("const i = document.getElementById('stage-qr'); return i.complete && i.naturalWidth > 0"))
        shot(browser, "party-stage")
        press(browser, browser.find_element(By.ID, "stage-close"))
        wait(browser, lambda d: not d.find_element(By.ID, "stage").is_displayed())
        # Switched to its stream: this page stops playing and offers the stream's link for any
        # player; the guest's page gets a player of its own.
        Select(browser.find_element(By.ID, "playback")).select_by_value("stream")
        wait(browser, lambda d: d.find_elements(By.ID, "stream-link") and not d.find_element(By.ID, "speaker").is_displayed(), timeout=10)
        assert "/api/v1/rooms/garden-party/stream.mp3?code=" in browser.find_element(By.ID, "stream-link").get_attribute("href")
        assert browser.execute_script("return document.getElementById('speaker-audio').paused")
        wait(phone, lambda d: d.find_elements(By.ID, "stream-audio"), timeout=10)
        assert state()["settings"]["playback"] == "stream"
        assert not severe_console_errors(phone)
    finally:
        phone.quit()
    shot(browser, "party-host")
    assert not severe_console_errors(browser)


def test_the_bell_counts_live_and_the_rule_builder_previews(server_with_music, browser):
    """The bell shows a new notification without a reload; the inbox lists it and marks it read;
    the rule builder previews a rule over last week's events and adds it."""
    server, token = server_with_music
    r = requests.post(server.url + "/api/v1/users", headers=auth(token), json={"username": "bob", "password": "bob-password-1"})
    assert r.status_code == 201, r.text
    bob = requests.post(server.url + "/api/v1/auth/login", json={"username": "bob", "password": "bob-password-1"})
    sign_in(browser, server)
    badge = browser.find_element(By.ID, "bell-count")
    assert not badge.is_displayed()
    session = requests.Session()
    session.cookies.update(bob.cookies)
    assert session.put(server.url + "/api/v1/follows/root", headers={"X-CSRF-Token": bob.json()["csrfToken"]}).status_code in (200, 201, 204)
    wait(browser, lambda d: badge.is_displayed() and badge.text == "1", timeout=20)
    assert browser.find_element(By.ID, "bell").get_attribute("aria-label") == "Notifications, 1 unread"
    browser.find_element(By.ID, "bell").click()
    settled(browser, "/notifications")
    wait(browser, lambda d: "bob follows you" in d.find_element(By.ID, "inbox").text)
    assert browser.find_elements(By.CSS_SELECTOR, "#inbox li.unread")
    browser.find_element(By.ID, "read-all").click()
    wait(browser, lambda d: not d.find_elements(By.CSS_SELECTOR, "#inbox li.unread") and not badge.is_displayed())
    # The rule builder: people's follows of me, previewed, then added.
    Select(browser.find_element(By.ID, "rule-tracking")).select_by_value("mentions")
    browser.find_element(By.ID, "rule-name").send_keys("New followers")
    browser.find_element(By.ID, "rule-types").send_keys("user.followed")
    browser.find_element(By.ID, "rule-preview").click()
    wait(browser, lambda d: "would have fired 1 time(s): bob follows you" in d.find_element(By.ID, "rule-preview-result").text)
    browser.find_element(By.CSS_SELECTOR, "#rule-form button[type=submit]").click()
    wait(browser, lambda d: "New followers" in d.find_element(By.ID, "rules").text)
    assert "In the app" in browser.find_element(By.ID, "rules").text
    assert_accessible(browser, "notifications")
    assert not severe_console_errors(browser)


def test_following_someone_on_another_server_and_answering_a_follower(deployment, music, browser):
    """The federation page: look up @name@server (an independent peer), follow, see the answer
    arrive live; a follower of a private library waits until approved here, and is then told."""
    from fedpeer import Peer
    server = deployment.serve(CADENZA_MUSIC_DIRS=str(music), CADENZA_FEDERATION_ALLOW_HTTP="1", CADENZA_FEDERATION_PRIVATE_ADDRESSES="1")
    token = admin_token(deployment, server)
    peer = Peer(name="dana")
    try:
        libraries = requests.get(server.url + "/api/v1/libraries", headers=auth(token)).json()
        sign_in(browser, server)
        browser.get(server.url + "/#/federation")
        settled(browser, "/federation")
        browser.find_element(By.ID, "find-q").send_keys(f"@dana@{peer.authority}")
        browser.find_element(By.CSS_SELECTOR, "#find-form button[type=submit]").click()
        wait(browser, lambda d: d.find_elements(By.ID, "follow-found"))
        assert f"@dana@{peer.authority}" in browser.find_element(By.ID, "found").text
        browser.find_element(By.ID, "follow-found").click()
        wait(browser, lambda d: "Waiting for an answer" in d.find_element(By.ID, "following").text)
        follow = wait_for(lambda: peer.inbox_items("Follow"))[0][0]
        assert follow["actor"] == f"{server.url}/federation/actors/root" and follow["object"] == peer.actor_id
        # The peer says yes: the page shows it without a reload.
        assert peer.post(server.url + "/federation/inbox", peer.activity("Accept", follow)).status_code == 202
        wait(browser, lambda d: "Following" in d.find_element(By.ID, "following").text, timeout=20)

        # The peer asks to follow the instance library (not public): approved here, and it hears so.
        library = libraries[0]["id"]
        asked = peer.activity("Follow", f"{server.url}/federation/libraries/{library}")
        assert peer.post(server.url + "/federation/inbox", asked).status_code == 202
        wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#followers button[data-answer=approve]"), timeout=20)
        assert_accessible(browser, "federation")
        browser.find_element(By.CSS_SELECTOR, "#followers button[data-answer=approve]").click()
        wait(browser, lambda d: "Approved." in d.find_element(By.ID, "fed-status").text)
        accept = wait_for(lambda: peer.inbox_items("Accept"))[0][0]
        assert accept["object"]["id"] == asked["id"]
        # Administrators see the domain, with what was sent there.
        wait(browser, lambda d: peer.authority in d.find_element(By.ID, "domains").text)
        # And may block one account: its follow of the library ends.
        browser.find_element(By.ID, "account-name").send_keys(f"@dana@{peer.authority}")
        browser.find_element(By.CSS_SELECTOR, "#account-form button[type=submit]").click()
        wait(browser, lambda d: f"@dana@{peer.authority}" in d.find_element(By.ID, "accounts").text)
        wait(browser, lambda d: "Nobody yet." in d.find_element(By.ID, "followers").text)
        assert peer.post(server.url + "/federation/inbox", peer.activity("Follow", asked["object"])).status_code == 403
        shot(browser, "federation")
        assert not severe_console_errors(browser)
    finally:
        peer.stop()
