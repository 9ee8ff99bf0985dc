"""Web app figures on a generated library: time from navigation to the home page's first content
(the `cadenza:first-content` mark) and the HTML/JS/CSS bytes transferred, with a cold and a warm
browser cache, in headless Debian chromium over loopback.

Usage: python bench/webui_bench.py [--size 20000] [--runs 7] [--pg postgres://…/postgres]
"""
import argparse
import statistics

from selenium import webdriver
from selenium.webdriver.support.ui import WebDriverWait

from common import Instance
from library_bench import library

FIRST = "const m = performance.getEntriesByName('cadenza:first-content'); return m.length ? m[0].startTime : null"
BYTES = ("return [...performance.getEntriesByType('navigation'), ...performance.getEntriesByType('resource')]"
         ".filter(e => !e.name.includes('/api/')).reduce((n, e) => n + (e.transferSize || 0), 0)")


def browser():
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,800"):
        options.add_argument(flag)
    return webdriver.Chrome(service=webdriver.ChromeService(executable_path="/usr/bin/chromedriver"), options=options)


def load_home(driver, url, cold):
    if cold:
        # A first visit: no HTTP cache, and no service worker or the shell it keeps.
        driver.execute_cdp_cmd("Network.clearBrowserCache", {})
        driver.execute_cdp_cmd("Storage.clearDataForOrigin", {"origin": url, "storageTypes": "service_workers,cache_storage"})
    driver.get(url + "/")
    first = WebDriverWait(driver, 20).until(lambda d: d.execute_script(FIRST))
    return first, driver.execute_script(BYTES)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, default=20000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--pg")
    parser.add_argument("--cache", default="/tmp/cadenza-bench-libs")
    args = parser.parse_args()
    root = library(args.cache, args.size)
    for name, pg in [("SQLite", None)] + ([("PostgreSQL", args.pg)] if args.pg else []):
        inst = Instance(pg)
        driver = browser()
        try:
            inst.run("migrate")
            inst.run("scan", "--now", "--music-dir", root)
            proc, url, _ = inst.serve(CADENZA_RESCAN_MINUTES=0)
            inst.admin_token(url)
            driver.get(url + "/#/login")
            WebDriverWait(driver, 20).until(lambda d: d.find_elements("id", "username"))
            driver.find_element("id", "username").send_keys("bench")
            driver.find_element("id", "password").send_keys("bench-password\n")
            WebDriverWait(driver, 20).until(lambda d: d.execute_script(FIRST))
            print(f"== Web app, {name}, {args.size}-track library, headless chromium on loopback, {args.runs} loads each")
            for cold in (True, False):
                runs = [load_home(driver, url, cold) for _ in range(args.runs)]
                times = [t for t, _ in runs]
                print(f"  home, {'cold' if cold else 'warm'} cache: first content median {statistics.median(times):.0f} ms, "
                      f"max {max(times):.0f} ms; {runs[-1][1]} bytes of HTML/JS/CSS transferred")
        finally:
            driver.quit()
            inst.close()


if __name__ == "__main__":
    main()
