//! The blog in a real browser: headless Chromium (Debian's `chromium`, at
//! /usr/bin/chromium) driven over the DevTools protocol by `headless_chrome`,
//! against the real `sxc serve examples/blog` on a free loopback port with a
//! temporary data directory.
//!
//! The test clicks through the home page, a post page and the publish form,
//! and takes a screenshot of the home page. With `SXC_SCREENSHOT` set it also
//! writes that screenshot to docs/blog-home.png:
//!
//! ```text
//! SXC_SCREENSHOT=1 cargo test -p host --test all browser
//! ```
//!
//! Chromium is required: when it is missing the test fails (scripts/setup.sh
//! installs it). Included from the integration-test crate root (`mod browser;`).

#![cfg(unix)]

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use headless_chrome::protocol::cdp::Page::CaptureScreenshotFormatOption;
use headless_chrome::{Browser, LaunchOptions, Tab};

const CHROMIUM: &str = "/usr/bin/chromium";

/// How long a page, an element or a navigation may take (the server under
/// test is a debug build, and the machine may be busy).
const PATIENCE: Duration = Duration::from_secs(60);

use crate::e2e::{repo_root, Server};

// ---------------------------------------------------------------- browser

/// Headless Chromium with a fresh profile in `profile` (the browser process
/// ends when the returned `Browser` is dropped).
fn launch_chromium(profile: &Path) -> Browser {
    assert!(
        Path::new(CHROMIUM).exists(),
        "{CHROMIUM} is missing: the browser test needs Debian's chromium package \
         (`apt-get install chromium`, or run scripts/setup.sh as root)"
    );
    let extra: Vec<&OsStr> = [
        "--no-first-run",
        "--no-default-browser-check",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-domain-reliability",
        "--hide-scrollbars",
    ]
    .iter()
    .map(OsStr::new)
    .collect();
    let options = LaunchOptions::default_builder()
        .path(Some(PathBuf::from(CHROMIUM)))
        .headless(true) // --headless
        .sandbox(false) // --no-sandbox (tests and CI run as root)
        .enable_gpu(false) // --disable-gpu
        .user_data_dir(Some(profile.to_path_buf()))
        .window_size(Some((1100, 1500)))
        .idle_browser_timeout(Duration::from_secs(300))
        .args(extra)
        .build()
        .expect("chromium launch options");
    Browser::new(options).unwrap_or_else(|e| panic!("cannot start {CHROMIUM}: {e:#}"))
}

/// Evaluates `expr` in the page; its value as a string ("" for none).
fn eval_string(tab: &Tab, expr: &str) -> String {
    match tab.evaluate(expr, false) {
        Ok(obj) => obj.value.map(|v| v.as_str().map(str::to_owned).unwrap_or_else(|| v.to_string())).unwrap_or_default(),
        Err(_) => String::new(), // e.g. the context went away mid-navigation
    }
}

/// Waits until the tab shows a fully loaded document at `path`.
fn wait_for_page(tab: &Tab, server: &Server, path: &str) {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let here = eval_string(tab, "location.pathname + ' ' + document.readyState");
        if here == format!("{path} complete") {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the browser never reached {path} (at {:?}, url {}); server log:\n{}",
            here,
            tab.get_url(),
            server.log()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The visible text of the first element matching `selector`.
fn text_of(tab: &Tab, selector: &str) -> String {
    tab.wait_for_element(selector)
        .unwrap_or_else(|e| panic!("no {selector} on {}: {e}", tab.get_url()))
        .get_inner_text()
        .unwrap_or_else(|e| panic!("text of {selector}: {e}"))
}

fn click(tab: &Tab, selector: &str) {
    tab.wait_for_element(selector)
        .unwrap_or_else(|e| panic!("no {selector} on {}: {e}", tab.get_url()))
        .click()
        .unwrap_or_else(|e| panic!("click {selector}: {e}"));
}

fn type_into(tab: &Tab, selector: &str, text: &str) {
    tab.wait_for_element(selector)
        .unwrap_or_else(|e| panic!("no {selector} on {}: {e}", tab.get_url()))
        .type_into(text)
        .unwrap_or_else(|e| panic!("type into {selector}: {e}"));
}

fn assert_contains(haystack: &str, needle: &str, what: &str) {
    assert!(haystack.contains(needle), "{what} lacks {needle:?}:\n{haystack}");
}

// ---------------------------------------------------------------- the test

#[test]
fn blog_in_headless_chromium() {
    blog_in_chromium(&repo_root().join("examples/blog"));
}

/// The same against the blog built into a bundle (`sxc build`).
#[test]
fn blog_bundle_in_headless_chromium() {
    let bundle = crate::bundles::blog_bundle();
    blog_in_chromium(bundle.path());
}

fn blog_in_chromium(app: &std::path::Path) {
    let data = tempfile::tempdir().unwrap();
    let profile = tempfile::tempdir().unwrap();
    let server = Server::start(app, data.path(), &[]);
    let browser = launch_chromium(profile.path());
    let tab = browser.new_tab().expect("a browser tab");
    tab.set_default_timeout(PATIENCE);

    // Home: the seeded posts, their tags and related posts.
    tab.navigate_to(&server.url("/")).expect("open the home page");
    wait_for_page(&tab, &server, "/");
    assert_eq!(tab.get_title().unwrap(), "Home · SX blog");
    let home = text_of(&tab, "main");
    for needle in ["Posts", "Hello, SX", "Effects without colours", "Durable event streams", "#sx", "Related: ", "Tags"] {
        assert_contains(&home, needle, "home page");
    }
    // The stylesheet comes from static/site.css (served under /static/) and applies.
    let mut max_width = String::new();
    for _ in 0..100 {
        max_width = eval_string(&tab, "getComputedStyle(document.body).maxWidth");
        if max_width == "736px" {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert_eq!(max_width, "736px", "body max-width from static/site.css (46rem)");

    // The screenshot, while the home page shows only the seeded posts.
    let png = tab
        .capture_screenshot(CaptureScreenshotFormatOption::Png, None, None, true)
        .expect("screenshot");
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n") && png.len() > 10_000, "not a plausible PNG ({} bytes)", png.len());
    let shot = data.path().join("blog-home.png");
    std::fs::write(&shot, &png).unwrap();
    if std::env::var_os("SXC_SCREENSHOT").is_some() {
        let dest = repo_root().join("docs/blog-home.png");
        std::fs::write(&dest, &png).unwrap();
        eprintln!("browser: wrote {}", dest.display());
    }

    // Follow a post link by clicking it.
    click(&tab, r#"article.post h2 a[href="/posts/effects"]"#);
    wait_for_page(&tab, &server, "/posts/effects");
    assert_eq!(tab.get_title().unwrap(), "Effects without colours · SX blog");
    assert_eq!(text_of(&tab, "article h1"), "Effects without colours");
    let post = text_of(&tab, "article");
    assert_contains(&post, "A handler performs storage requests anywhere", "post page");
    assert_contains(&post, "The host suspends the request's fiber", "post page");
    assert_contains(&post, "#effects", "post page");
    assert_contains(&post, "version 1", "post page");
    // Related through links, both ways: effects → hello-sx, durable-streams → effects.
    let related = text_of(&tab, "p.related");
    assert_contains(&related, "Hello, SX", "related posts");
    assert_contains(&related, "Durable event streams", "related posts");

    // The publish form, reached through the header link.
    click(&tab, r#"header a[href="/new"]"#);
    wait_for_page(&tab, &server, "/new");
    assert_eq!(text_of(&tab, "main h1"), "New post");
    type_into(&tab, r#"form input[name="title"]"#, "Written in Chromium");
    type_into(&tab, r#"form input[name="tags"]"#, "browser, sx");
    type_into(&tab, r#"form input[name="links"]"#, "components");
    type_into(&tab, r#"form textarea[name="body"]"#, "This post was typed into a real browser & submitted.");
    click(&tab, r#"form button[type="submit"]"#);

    // Publishing redirects (303) to the new post.
    wait_for_page(&tab, &server, "/posts/written-in-chromium");
    assert_eq!(text_of(&tab, "article h1"), "Written in Chromium");
    let new_post = text_of(&tab, "article");
    assert_contains(&new_post, "This post was typed into a real browser & submitted.", "new post");
    assert_contains(&new_post, "#browser", "new post");
    assert_contains(&new_post, "Components for markup", "new post's related posts");

    // The home page lists it (newest first).
    click(&tab, "header a.brand");
    wait_for_page(&tab, &server, "/");
    assert_eq!(text_of(&tab, "article.post h2"), "Written in Chromium", "the newest post comes first");
    let home = text_of(&tab, "main");
    assert_contains(&home, "Written in Chromium", "home page after publishing");
    assert_contains(&home, "#browser (1)", "home page tag cloud");
    assert_contains(&home, "Hello, SX", "home page after publishing");

    // Its tag page, through the tag link on the post's summary.
    click(&tab, r#"article.post a.tag[href="/tags/browser"]"#);
    wait_for_page(&tab, &server, "/tags/browser");
    assert_eq!(text_of(&tab, "main h1"), "Posts tagged #browser");
    let tagged = text_of(&tab, "main");
    assert_contains(&tagged, "Written in Chromium", "tag page");
    assert!(!tagged.contains("Hello, SX"), "the tag page lists only tagged posts:\n{tagged}");

    // And the shared tag's page lists it beside the seeded posts.
    tab.navigate_to(&server.url("/tags/sx")).unwrap();
    wait_for_page(&tab, &server, "/tags/sx");
    let sx = text_of(&tab, "main");
    assert_contains(&sx, "Written in Chromium", "#sx tag page");
    assert_contains(&sx, "Hello, SX", "#sx tag page");

    drop(tab);
    drop(browser);
}
