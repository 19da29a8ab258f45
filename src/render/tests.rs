//! Golden files and end-to-end checks of the built-in templates.
//!
//! Each golden test renders a hand-built context and compares the bytes with
//! `tests/golden/<vendor>/<name>`. After an intended template change, regenerate them with
//! `UPDATE_GOLDEN=1 cargo test --lib render` and read the diff before committing it.

use std::collections::BTreeMap;

use super::*;
use crate::domain::{Language, Mac, Secret, SipRoute, SipServer, Transport};
use crate::vendors::{Catalogue, RecheckWindow};

const SERVER_URL: &str = "https://prov.example.net:8443/";

const DOMAIN: &str = "acme.example.com";

/// A route as `Account::sip_route` makes it: straight to the SIP domain on `port`, or, when
/// `registrars` are named, to the domain through them as outbound proxies.
fn route(transport: Transport, port: u16, registrars: &[(&str, u16)]) -> LineRoute {
    let server = |port| SipServer {
        host: DOMAIN.into(),
        port,
        transport,
    };
    let sip_route = if registrars.is_empty() {
        SipRoute {
            servers: vec![server(port)],
            outbound_proxies: vec![],
        }
    } else {
        SipRoute {
            servers: registrars
                .iter()
                .map(|_| server(transport.default_port()))
                .collect(),
            outbound_proxies: registrars
                .iter()
                .map(|(host, port)| ((*host).to_owned(), *port))
                .collect(),
        }
    };
    let yealink = Catalogue::builtin().vendor("yealink").unwrap();
    LineRoute::new(&sip_route, |t| yealink.transport_code(t).to_owned())
}

fn line(label: &str, user: &str, route: &LineRoute, voicemail: Option<&str>) -> LineAccount {
    LineAccount {
        label: label.into(),
        display_name: label.into(),
        user_name: user.into(),
        auth_name: user.into(),
        password: Secret::generated(format!("pw-{user}-0123456789abcdef")),
        route: route.clone(),
        expires: 3600,
        voicemail: voicemail.map(str::to_owned),
        subscribe_mwi: voicemail.is_some(),
        sip_template: None,
    }
}

/// A device context filled the way the service fills it: everything from the catalogue,
/// for a request from `firmware` (the User-Agent's, when it has one).
fn device(
    (model, firmware): (&str, Option<&str>),
    mac: &str,
    language: Language,
    zone: &str,
    lines: Vec<(u16, LineAccount)>,
) -> DeviceFile {
    let catalogue = Catalogue::builtin();
    let model = catalogue.model(model).unwrap();
    let vendor = catalogue.vendor(&model.vendor).unwrap();
    let mac: Mac = mac.parse().unwrap();
    let mut accounts = AccountSlot::all(model.lines, lines.into_iter().collect::<BTreeMap<_, _>>());
    let sip_templates = SipTemplateSlot::assign(model.dect, &mut accounts);
    let handsets = HandsetSlot::defaults(model.dect, &accounts);
    // As the service lays them out for a user without keys: the device's lines.
    let line_keys = (1..=model.line_keys)
        .map(|number| {
            let line = accounts
                .iter()
                .find(|slot| slot.number == number)
                .and_then(|slot| slot.line.as_ref());
            let key = line.map(|line| crate::domain::line_key::LineKey {
                kind: crate::domain::line_key::LineKeyKind::Line,
                line: number,
                value: None,
                label: Some(line.label.clone()),
            });
            LineKeySlot::yealink(number, key.as_ref())
        })
        .collect();
    DeviceFile {
        vendor: vendor.id.clone(),
        model: model.name.clone(),
        mac,
        server_url: SERVER_URL.into(),
        provisioning: ProvisioningLogin {
            username: format!("dev-{mac}"),
            password: Secret::generated(format!("prov-{mac}-secret")),
        },
        recheck: RecheckWindow::for_mac(mac),
        locale: DeviceLocale {
            language: vendor.language(language).clone(),
            // A fixed year: manual by-date rules (Cairo) carry that year's dates.
            time: catalogue.yealink_time(zone.parse().unwrap(), 2030),
            tone_country: catalogue
                .zone_country(zone.parse().unwrap())
                .and_then(|country| vendor.tone_country(country))
                .map(str::to_owned),
        },
        accounts,
        handsets,
        web_passwords: Some(WebLogins {
            admin: Secret::generated(format!("web-admin-{mac}")),
            user: Secret::generated(format!("web-user-{mac}")),
        }),
        settings: Vec::new(),
        raw: Vec::new(),
        line_keys,
        active_handsets: model.dect.and_then(|dect| dect.active_handsets),
        sip_templates,
        static_prefixes: model.static_key_prefixes(firmware),
        // As the service fills it outside any stage: every firmware key cleared.
        firmware: FirmwareUrls {
            device: None,
            handsets: model
                .dect
                .map(|_| {
                    vendor
                        .handset_models
                        .iter()
                        .map(|model| HandsetFirmware {
                            key: model.to_ascii_lowercase(),
                            url: None,
                        })
                        .collect()
                })
                .unwrap_or_default(),
        },
    }
}

fn common(file: &str) -> CommonFile {
    CommonFile {
        vendor: "yealink".into(),
        file: file.into(),
        models: Catalogue::builtin()
            .family("yealink", file)
            .map(|m| m.name.clone())
            .collect(),
        server_url: SERVER_URL.into(),
        ntp_servers: vec![
            "0.pool.ntp.org".into(),
            "1.pool.ntp.org".into(),
            "2.pool.ntp.org".into(),
        ],
    }
}

fn t46s() -> DeviceFile {
    // The registrar is the SIP domain itself: no outbound proxy.
    let direct = route(Transport::Tls, 5061, &[]);
    let alice = line("Alice Martin", "acme-201", &direct, Some("*97"));
    device(
        ("T46S", None),
        "00:15:65:4a:a9:37",
        Language::Fr,
        "Europe/Paris",
        vec![(1, alice)],
    )
}

fn renderer() -> Renderer {
    Renderer::new(None).unwrap()
}

/// Compares `rendered` with the golden file, or rewrites it when `UPDATE_GOLDEN` is set.
fn golden(name: &str, rendered: &str) {
    crate::golden::check("yealink", name, rendered);
    assert!(
        rendered.starts_with("#!version:1.0.0.1\n"),
        "{name}: first line"
    );
    assert!(
        !rendered.contains('\r') && !rendered.contains("\n\n\n") && rendered.ends_with('\n'),
        "{name}: layout"
    );
    assert!(!rendered.ends_with("\n\n"), "{name}: trailing blank line");
}

#[test]
fn golden_t46s_with_one_line_clears_fifteen_slots() {
    let rendered = renderer().render_device(&t46s()).unwrap();
    let cleared = rendered
        .lines()
        .filter(|l| l.starts_with("account.") && l.ends_with(".enable = 0"));
    assert_eq!(cleared.count(), 15);
    golden("t46s-1-line.cfg", &rendered);
}

#[test]
fn golden_t54w_with_three_lines() {
    // A registrar that is not the domain: the outbound proxy.
    let proxied = route(Transport::Tcp, 5060, &[("sip.acme.example.com", 5080)]);
    let lines = vec![
        (1, line("Bob Stone", "acme-202", &proxied, Some("*97"))),
        (2, line("Sales queue", "acme-600", &proxied, None)),
        (3, line("Carol Diaz", "acme-203", &proxied, Some("*97"))),
    ];
    let rendered = renderer()
        .render_device(&device(
            ("T54W", None),
            "805ec0d57d72",
            Language::En,
            "America/New_York",
            lines,
        ))
        .unwrap();
    golden("t54w-3-lines.cfg", &rendered);
}

#[test]
fn golden_t31g_in_a_manual_dst_zone() {
    let direct = route(Transport::Udp, 5060, &[]);
    let lines = vec![(1, line("Dina Farouk", "acme-204", &direct, Some("*97")))];
    let rendered = renderer()
        .render_device(&device(
            ("T31G", None),
            "805ec0d57d73",
            Language::En,
            "Africa/Cairo",
            lines,
        ))
        .unwrap();
    golden("t31g-cairo.cfg", &rendered);
}

#[test]
fn golden_w60b_with_three_handsets() {
    // A registrar and a backup, neither of them the domain.
    let backed_up = route(
        Transport::Tls,
        5061,
        &[("sip1.example.net", 5061), ("sip2.example.net", 5061)],
    );
    let lines = vec![
        (1, line("Eve Laurent", "acme-301", &backed_up, Some("*97"))),
        (2, line("Frank Moreau", "acme-302", &backed_up, Some("*97"))),
        (4, line("Warehouse", "acme-304", &backed_up, None)),
    ];
    let rendered = renderer()
        .render_device(&device(
            ("W60B", None),
            "805ec009abdc",
            Language::Fr,
            "Europe/Paris",
            lines,
        ))
        .unwrap();
    assert_eq!(rendered.matches(".incoming_lines = ").count(), 8);
    golden("w60b-3-handsets.cfg", &rendered);
}

/// A W52P whose User-Agent says `firmware`, with two of its five lines.
fn w52p(firmware: Option<&str>) -> String {
    let direct = route(Transport::Udp, 5060, &[]);
    let lines = vec![
        (1, line("Gita Rao", "acme-401", &direct, Some("*97"))),
        (5, line("Lobby", "acme-405", &direct, None)),
    ];
    renderer()
        .render_device(&device(
            ("W52P", firmware),
            "00156540ae35",
            Language::En,
            "Asia/Kolkata",
            lines,
        ))
        .unwrap()
}

#[test]
fn golden_w52p() {
    let rendered = w52p(Some("25.81.0.10"));
    assert!(!rendered.lines().any(|l| l.starts_with("auto_provision.")));
    golden("w52p.cfg", &rendered);
}

/// A 10 % stage of T46S 66.86.0.15 and of W56H handset firmware: the first MAC (by number)
/// whose bucket is in the stage gets the URLs, the first one outside gets them cleared.
#[test]
fn golden_firmware_stage_in_and_out() {
    use crate::domain::{FirmwareImage, Percent, Stage, stage_bucket};
    let stage = Stage {
        percent: Percent::try_from(10).unwrap(),
        profiles: Vec::new(),
    };
    let mac = |inside: bool| {
        (1u32..)
            .map(|n| {
                let b = n.to_be_bytes();
                Mac::from_octets([0x80, 0x5e, 0xc0, b[1], b[2], b[3]]).unwrap()
            })
            .find(|mac| stage.includes(*mac, None) == inside)
            .unwrap()
    };
    let image = |model: &str, version: &str, byte: u8| FirmwareImage {
        digest: crate::domain::ImageDigest::new([byte; 32]),
        vendor: "yealink".into(),
        model: model.into(),
        version: version.parse().unwrap(),
        size: 1,
        uploaded_at: "2026-01-01T00:00:00Z".parse().unwrap(),
    };
    let direct = route(Transport::Udp, 5060, &[]);
    let lines = || vec![(1, line("Ivy Chen", "acme-501", &direct, Some("*97")))];

    let inside = mac(true);
    assert!(stage_bucket(inside) < 10);
    let mut file = device(
        ("T46S", None),
        &inside.to_string(),
        Language::En,
        "UTC",
        lines(),
    );
    let url =
        |mac, image: &FirmwareImage| crate::service::Service::firmware_url(SERVER_URL, mac, image);
    file.firmware.device = Some(url(inside, &image("T46S", "66.86.0.15", 0xab)));
    let rendered = renderer().render_device(&file).unwrap();
    golden("t46s-firmware-in-stage.cfg", &rendered);

    let outside = mac(false);
    let file = device(
        ("T46S", None),
        &outside.to_string(),
        Language::En,
        "UTC",
        lines(),
    );
    let rendered = renderer().render_device(&file).unwrap();
    assert!(rendered.contains("static.firmware.url = %NULL%\n"));
    golden("t46s-firmware-out-of-stage.cfg", &rendered);

    let mut base = device(
        ("W60B", None),
        &inside.to_string(),
        Language::En,
        "UTC",
        lines(),
    );
    base.firmware.device = Some(url(inside, &image("W60B", "77.85.0.25", 0xcd)));
    for handset in &mut base.firmware.handsets {
        if handset.key == "w56h" {
            handset.url = Some(url(inside, &image("W56H", "61.85.0.20", 0xef)));
        }
    }
    let rendered = renderer().render_device(&base).unwrap();
    assert!(rendered.contains("over_the_air.url.w56h = https://"));
    assert!(rendered.contains("over_the_air.url.w53h = %NULL%"));
    golden("w60b-firmware-in-stage.cfg", &rendered);
}

#[test]
fn golden_w52p_on_base_firmware_25_80_gets_the_unprefixed_keys() {
    let rendered = w52p(Some("25.80.0.15"));
    assert!(!rendered.contains("static."), "{rendered}");
    assert!(rendered.contains("\nauto_provision.server.url = https://prov.example.net:8443/\n"));
    assert!(rendered.contains("\nauto_provision.handset_configured.enable = 1\n"));
    golden("w52p-25.80.cfg", &rendered);
}

#[test]
fn a_w52p_of_unknown_firmware_gets_both_spellings() {
    let rendered = w52p(None);
    for key in [
        "auto_provision.server.password",
        "auto_provision.dhcp_option.enable",
        "auto_provision.handset_configured.enable",
    ] {
        assert_eq!(
            rendered.matches(&format!("\nstatic.{key} = ")).count(),
            1,
            "{key}"
        );
        assert_eq!(rendered.matches(&format!("\n{key} = ")).count(), 1, "{key}");
    }
}

#[test]
fn golden_w80dm_with_three_accounts_through_template_1() {
    // A registrar that is not the domain: the outbound proxy, in the template.
    let proxied = route(Transport::Tls, 5061, &[("sip.acme.example.com", 5061)]);
    let lines = vec![
        (1, line("Hana Ito", "acme-501", &proxied, Some("*97"))),
        (2, line("Ivan Petit", "acme-502", &proxied, Some("*97"))),
        (7, line("Dock", "acme-507", &proxied, None)),
    ];
    let rendered = renderer()
        .render_device(&device(
            ("W80DM", Some("103.83.0.122")),
            "249ad8d1a631",
            Language::En,
            "Europe/Paris",
            lines,
        ))
        .unwrap();
    for key in [
        "template.1.sip_server.1.address = acme.example.com\n",
        "template.1.sip_server.1.transport_type = 2\n",
        "template.1.outbound.enable = 1\n",
        "template.1.outbound.1.address = sip.acme.example.com\n",
        "template.2.name = %NULL%\n",
        "template.10.outbound.enable = 0\n",
        "account.7.sip_server.template = 1\n",
        "account.100.sip_server.template = %NULL%\n",
    ] {
        assert!(rendered.contains(key), "{key}");
    }
    assert_eq!(rendered.matches(".sip_server.template = 1\n").count(), 3);
    assert!(!rendered.contains("account.1.sip_server.1.") && !rendered.contains("outbound_proxy"));
    assert!(!rendered.contains("\nhandset."));
    golden("w80dm-3-accounts.cfg", &rendered);
}

#[test]
fn golden_common_files() {
    let renderer = renderer();
    for (file, name) in [
        ("y000000000066.cfg", "common-y000000000066.cfg"),
        ("y000000000025.cfg", "common-y000000000025.cfg"),
        ("y000000000123.cfg", "common-y000000000123.cfg"),
        ("y000000000999.cfg", "common-unknown-family.cfg"),
    ] {
        golden(name, &renderer.render_common(&common(file)).unwrap());
    }
}

#[test]
fn common_files_hold_no_secret() {
    let rendered = renderer()
        .render_common(&common("y000000000066.cfg"))
        .unwrap();
    for secret in ["password", "username", "account.", "prov-", "pw-"] {
        assert!(!rendered.contains(secret), "{secret}");
    }
}

#[test]
fn a_value_with_a_newline_cannot_add_a_key() {
    let mut file = t46s();
    let line = file.accounts[0].line.as_mut().unwrap();
    line.label = "Alice\nstatic.auto_provision.server.url = https://evil.example/".into();
    line.display_name = "Alice\r\n\u{2028}account.2.enable = 1".into();
    let rendered = renderer().render_device(&file).unwrap();
    let keys: Vec<&str> = rendered
        .lines()
        .filter_map(|l| l.split(" = ").next())
        .collect();
    assert_eq!(
        keys.iter()
            .filter(|k| **k == "static.auto_provision.server.url")
            .count(),
        1
    );
    assert!(rendered.contains(
        "account.1.label = Alice static.auto_provision.server.url = https://evil.example/\n"
    ));
    assert!(
        rendered.contains("account.2.enable = 0\n")
            && !rendered.lines().any(|l| l == "account.2.enable = 1")
    );
}

#[test]
fn rendering_twice_gives_the_same_bytes() {
    let first = renderer().render_device(&t46s()).unwrap();
    let second = renderer().render_device(&t46s()).unwrap();
    assert_eq!(first.as_bytes(), second.as_bytes());
}

#[test]
fn contexts_must_fit_their_model() {
    let renderer = renderer();
    let mut short = t46s();
    short.accounts.pop();
    assert!(matches!(
        renderer.render_device(&short),
        Err(RenderError::Context { .. })
    ));
    let mut templated = t46s();
    templated.accounts[0].line.as_mut().unwrap().sip_template = Some(1);
    assert!(matches!(
        renderer.render_device(&templated),
        Err(RenderError::Context { .. })
    ));
    let mut unknown = t46s();
    unknown.model = "T99".into();
    assert!(matches!(
        renderer.render_device(&unknown),
        Err(RenderError::Unknown { .. })
    ));
    let mut other_vendor = common("y000000000066.cfg");
    other_vendor.vendor = "polycom".into();
    assert!(matches!(
        renderer.render_common(&other_vendor),
        Err(RenderError::Unknown { .. })
    ));
}

#[test]
fn an_override_directory_replaces_a_template() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("yealink")).unwrap();
    let custom =
        "#!version:1.0.0.1\n## custom {{ model }}\n{% include \"yealink/_accounts.cfg\" %}";
    std::fs::write(dir.path().join("yealink/desk.cfg"), custom).unwrap();
    let renderer = Renderer::new(Some(dir.path())).unwrap();
    let rendered = renderer.render_device(&t46s()).unwrap();
    assert!(
        rendered.starts_with("#!version:1.0.0.1\n## custom T46S\n\n## Account 1\n"),
        "{rendered}"
    );
    let untouched = renderer
        .render_common(&common("y000000000066.cfg"))
        .unwrap();
    assert!(untouched.contains("static.auto_provision.server.url"));
}

#[test]
fn a_broken_override_is_an_error_naming_its_file() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("yealink")).unwrap();
    let path = dir.path().join("yealink/common.cfg");
    std::fs::write(&path, "#!version:1.0.0.1\n{% if server_url %}unclosed\n").unwrap();
    let error = Renderer::new(Some(dir.path())).unwrap_err();
    assert!(matches!(error, RenderError::Template { .. }), "{error}");
    assert!(
        error.to_string().contains(&path.display().to_string()),
        "{error}"
    );
}
