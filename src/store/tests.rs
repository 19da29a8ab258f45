//! The store's own guarantees: atomic use cases, unique indexes, durability, schema check.

use jiff::Timestamp;

use super::*;
use crate::domain::*;
use crate::secret::DataKeys;

fn account(id: u64, domain: &str) -> Account {
    Account {
        id: AccountId(id),
        name: format!("Account {id}"),
        domain: domain.into(),
        group_name: Some("acme".into()),
        registrar: Registrar {
            host: "sip.example.com".into(),
            port: 5060,
            transport: Transport::Udp,
        },
        backup_registrar: None,
        numbering: NumberingPlan::default(),
        language: Language::En,
        time_zone: "America/New_York".parse().unwrap(),
        calling_plans: vec![],
        default_calling_plan: None,
        device_auth: DeviceAuth::PerDevice,
        settings: Default::default(),
        profiles: Default::default(),
        created_at: Timestamp::UNIX_EPOCH,
    }
}

fn user(id: u64, account: u64, extension: &str, email: Option<&str>) -> User {
    User {
        id: UserId(id),
        account: AccountId(account),
        status: UserStatus::Active,
        kind: UserType::Person,
        first_name: Some("Ada".into()),
        last_name: None,
        department: None,
        tags: vec![],
        extension: extension.parse().unwrap(),
        language: Language::En,
        time_zone: "Europe/Paris".parse().unwrap(),
        feature_plan: FeaturePlan::Standard,
        portal_access: false,
        email: email.map(|e| e.parse().unwrap()),
        notification_emails: vec![],
        username: None,
        role: Role::Limited,
        block_welcome_email: false,
        calling_plan: None,
        emergency_caller_id: None,
        voicemail: Voicemail {
            enabled: true,
            pin: None,
        },
        password_hash: None,
        numbers: vec![],
        ordered_model: None,
        line_keys: Vec::new(),
        created_at: Timestamp::UNIX_EPOCH,
    }
}

/// One data key for every store of these tests, so that a test can reopen its database.
fn keys() -> DataKeys {
    static KEYS: std::sync::LazyLock<DataKeys> = std::sync::LazyLock::new(DataKeys::generate);
    KEYS.clone()
}

fn open() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), keys()).unwrap();
    (dir, store)
}

#[test]
fn a_refused_use_case_writes_nothing() {
    let (_dir, store) = open();
    let result: Result<(), StoreError> = store.write(|w| {
        w.put_account(&account(1, "a.example.com"))?;
        w.put_user(&user(2, 1, "100", None))?;
        Err(StoreError::Taken(Unique::UserEmail))
    });
    assert!(result.is_err());
    assert_eq!(store.account(AccountId(1)).unwrap(), None);
    assert_eq!(store.user(UserId(2)).unwrap(), None);
    assert!(store.extensions_of(AccountId(1)).unwrap().is_empty());
    assert_eq!(store.account_by_domain("a.example.com").unwrap(), None);
}

#[test]
fn a_write_reads_its_own_staged_changes() {
    let (_dir, store) = open();
    store
        .write(|w| {
            w.put_account(&account(1, "a.example.com"))?;
            w.put_user(&user(2, 1, "100", None))?;
            assert_eq!(w.users_of(AccountId(1))?.len(), 1);
            assert!(
                w.extensions_of(AccountId(1))?
                    .contains(&"100".parse().unwrap())
            );
            w.delete_user(UserId(2))?;
            assert!(w.users_of(AccountId(1))?.is_empty());
            Ok::<_, StoreError>(())
        })
        .unwrap();
    assert!(store.users_of(AccountId(1)).unwrap().is_empty());
}

#[test]
fn unique_indexes_refuse_values_another_record_holds() {
    let (_dir, store) = open();
    store
        .write(|w| {
            w.put_account(&account(1, "a.example.com"))?;
            w.put_user(&user(2, 1, "100", Some("Ada@Example.com")))
        })
        .unwrap();
    let same_domain = store.write(|w| w.put_account(&account(3, "a.example.com")));
    assert!(matches!(
        same_domain,
        Err(StoreError::Taken(Unique::AccountDomain))
    ));
    let same_extension = store.write(|w| w.put_user(&user(4, 1, "100", None)));
    assert!(matches!(
        same_extension,
        Err(StoreError::Taken(Unique::UserExtension))
    ));
    let same_email = store.write(|w| w.put_user(&user(5, 1, "101", Some("ada@EXAMPLE.com"))));
    assert!(matches!(
        same_email,
        Err(StoreError::Taken(Unique::UserEmail))
    ));
    // The same extension in another account is fine; re-putting a record keeps its own values.
    store
        .write(|w| w.put_user(&user(6, 9, "100", None)))
        .unwrap();
    store
        .write(|w| w.put_user(&user(2, 1, "100", Some("ada@example.com"))))
        .unwrap();
    assert_eq!(
        store.user_by_email("ada@example.com").unwrap(),
        Some(UserId(2))
    );
}

#[test]
fn data_survives_closing_and_reopening() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = Store::open(dir.path(), keys()).unwrap();
        store
            .write(|w| {
                w.put_account(&account(1, "a.example.com"))?;
                w.put_user(&user(2, 1, "100", Some("ada@example.com")))
            })
            .unwrap();
    }
    let store = Store::open(dir.path(), keys()).unwrap();
    assert_eq!(
        store.account(AccountId(1)).unwrap().unwrap().domain,
        "a.example.com"
    );
    assert_eq!(
        store
            .user_by_extension(AccountId(1), &"100".parse().unwrap())
            .unwrap(),
        Some(UserId(2))
    );
    assert_eq!(
        store.user_by_email("ada@example.com").unwrap(),
        Some(UserId(2))
    );
}

const SIP_PASSWORD: &str = "s3cret-s3cret-s3cret";
const PROVISIONING_PASSWORD: &str = "pr0v-pr0v-pr0v-pr0v-pr0v";

/// A device of account 1 with a line whose SIP password and provisioning password are known.
fn device_with_secrets(ha1b: bool) -> Device {
    let password = Secret::generated(SIP_PASSWORD.into());
    let mut sip =
        crate::secret::sip_credentials("100-abcdefgh".parse().unwrap(), password, "a.example.com");
    if !ha1b {
        sip.ha1b = String::new();
    }
    let line = Line {
        number: 1,
        user: UserId(2),
        name: "Ada".into(),
        sip,
    };
    Device {
        mac: "001565aabbcc".parse().unwrap(),
        account: AccountId(1),
        vendor: "yealink".into(),
        model: "T46S".into(),
        label: None,
        provisioning: ProvisioningCredentials {
            username: "dev".into(),
            password: Secret::generated(PROVISIONING_PASSWORD.into()),
        },
        handoff: HandOff::default(),
        lines: [(1, line)].into(),
        web_passwords: None,
        profile: None,
        settings: Default::default(),
        created_at: Timestamp::UNIX_EPOCH,
        model_mismatch: None,
    }
}

#[test]
fn a_device_record_written_before_model_checks_reads_as_no_mismatch() {
    let device = device_with_secrets(true);
    let mut record = serde_json::to_value(&device).unwrap();
    record.as_object_mut().unwrap().remove("model_mismatch");
    let read: Device = serde_json::from_value(record).unwrap();
    assert_eq!(read, device);
}

/// Every byte of every file below `dir`.
fn files_of(dir: &std::path::Path) -> Vec<u8> {
    let mut bytes = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            bytes.extend(files_of(&path));
        } else {
            bytes.extend(std::fs::read(&path).unwrap());
        }
    }
    bytes
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

/// A schema-1 database as release 1 wrote it: records in clear, no key check, a line
/// without `ha1b`.
fn schema_one(dir: &std::path::Path) {
    let store = Store::open(dir, keys()).unwrap();
    let device = device_with_secrets(false);
    for (tree, key, value) in [
        (
            TreeId::Accounts,
            keys::id(1),
            encode(&account(1, "a.example.com")),
        ),
        (TreeId::Devices, keys::mac(device.mac), encode(&device)),
    ] {
        store.tree(tree).insert(key, value).unwrap();
    }
    store
        .tree(TreeId::AccountDomain)
        .insert("a.example.com", keys::id(1))
        .unwrap();
    store
        .tree(TreeId::LineSipUser)
        .insert(
            keys::owned(1, b"100-abcdefgh"),
            keys::line_place(device.mac, 1),
        )
        .unwrap();
    let meta = store.tree(TreeId::Meta);
    meta.remove(KEY_CHECK).unwrap();
    meta.insert(SCHEMA_KEY, &1u32.to_be_bytes()).unwrap();
    store.db.flush().unwrap();
}

#[test]
fn an_older_schema_is_upgraded_on_open() {
    let dir = tempfile::tempdir().unwrap();
    schema_one(dir.path());
    assert!(
        !Store::is_sealed(dir.path()).unwrap(),
        "release 1 sealed nothing"
    );
    let store = Store::open(dir.path(), keys()).unwrap();
    let version = store.tree(TreeId::Meta).get(SCHEMA_KEY).unwrap().unwrap();
    assert_eq!(version.as_ref(), SCHEMA_VERSION.to_be_bytes());
    let device = store
        .device("001565aabbcc".parse().unwrap())
        .unwrap()
        .unwrap();
    let web = device
        .web_passwords
        .as_ref()
        .expect("schema 4 gives every device its web passwords");
    assert_ne!(web.admin.expose(), web.user.expose());
    let sip = &device.lines[&1].sip;
    assert_eq!(
        sip.ha1b,
        crate::secret::md5_hex(&format!(
            "100-abcdefgh@a.example.com:a.example.com:{}",
            sip.password.expose()
        ))
    );
    assert_eq!(
        store
            .line_by_sip_user(AccountId(1), "100-abcdefgh")
            .unwrap(),
        Some((device.mac, 1)),
        "indexes are kept"
    );
    let raw = store
        .tree(TreeId::Devices)
        .get(keys::mac(device.mac))
        .unwrap()
        .unwrap();
    assert!(!contains(&raw, SIP_PASSWORD), "the record is sealed");
}

#[test]
fn secrets_are_sealed_in_the_database_files() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = Store::open(dir.path(), keys()).unwrap();
        store
            .write(|w| {
                w.put_account(&account(1, "a.example.com"))?;
                w.put_device(&device_with_secrets(true))
            })
            .unwrap();
        let device = store
            .device("001565aabbcc".parse().unwrap())
            .unwrap()
            .unwrap();
        assert_eq!(device.lines[&1].sip.password.expose(), SIP_PASSWORD);
    }
    let files = files_of(dir.path());
    let device = device_with_secrets(true);
    for secret in [
        SIP_PASSWORD,
        PROVISIONING_PASSWORD,
        &device.lines[&1].sip.ha1,
        &device.lines[&1].sip.ha1b,
    ] {
        assert!(
            !contains(&files, secret),
            "{secret} is in the database files"
        );
    }
    assert!(contains(&files, "a.example.com"), "indexes are not secret");
    assert!(Store::is_sealed(dir.path()).unwrap());
    let other = Store::open(dir.path(), DataKeys::generate()).unwrap_err();
    assert!(matches!(other, StoreError::WrongKey), "{other:?}");
}

#[test]
fn a_rotation_reseals_every_record_under_the_new_key() {
    let dir = tempfile::tempdir().unwrap();
    let rotated = keys().rotated();
    {
        let store = Store::open(dir.path(), keys()).unwrap();
        store
            .write(|w| {
                w.put_account(&account(1, "a.example.com"))?;
                w.put_user(&user(2, 1, "100", None))?;
                w.put_device(&device_with_secrets(true))
            })
            .unwrap();
        assert_eq!(store.reseal(rotated.clone()).unwrap(), 3);
        assert_eq!(
            store.reseal(rotated.clone()).unwrap(),
            0,
            "nothing left to re-seal"
        );
        assert!(
            store
                .device("001565aabbcc".parse().unwrap())
                .unwrap()
                .is_some()
        );
    }
    assert!(matches!(
        Store::open(dir.path(), keys()).unwrap_err(),
        StoreError::WrongKey
    ));
    let store = Store::open(dir.path(), rotated.current_only()).unwrap();
    let device = store
        .device("001565aabbcc".parse().unwrap())
        .unwrap()
        .unwrap();
    assert_eq!(device.lines[&1].sip.password.expose(), SIP_PASSWORD);
    assert_eq!(
        store.user(UserId(2)).unwrap().unwrap().extension.as_str(),
        "100"
    );
}

#[test]
fn a_newer_schema_refuses_to_open() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = Store::open(dir.path(), keys()).unwrap();
        store
            .tree(TreeId::Meta)
            .insert(SCHEMA_KEY, &(SCHEMA_VERSION + 1).to_be_bytes())
            .unwrap();
        store.db.flush().unwrap();
    }
    let error = Store::open(dir.path(), keys()).unwrap_err();
    assert!(matches!(error, StoreError::NewerSchema { .. }));
    let message = error.to_string();
    assert!(
        message.contains(&format!("schema version {}", SCHEMA_VERSION + 1)),
        "{message}"
    );
    assert!(message.contains("newer"), "{message}");
}

/// An unclaimed device with MAC 00:15:65:00:xx:yy (`n` = xxyy), last seen at second `seen`.
fn unclaimed(n: u16, seen: i64) -> Unclaimed {
    let [high, low] = n.to_be_bytes();
    Unclaimed {
        mac: Mac::from_octets([0, 0x15, 0x65, 0, high, low]).unwrap(),
        first_seen: Timestamp::from_second(seen).unwrap(),
        last_seen: Timestamp::from_second(seen).unwrap(),
        address: "192.0.2.1".parse().unwrap(),
        user_agent: None,
        model: None,
        firmware: None,
        requests: 1,
    }
}

fn put_unclaimed(store: &Store, device: &Unclaimed, rank: UnclaimedRank, limit: usize) {
    store
        .write_unflushed(|w| w.put_unclaimed(device, rank, limit))
        .unwrap();
}

/// The listed MACs, most recently seen first, by their last four hex digits.
fn listed(store: &Store) -> Vec<String> {
    store
        .unclaimed_devices()
        .unwrap()
        .iter()
        .map(|d| d.mac.to_string()[8..].to_owned())
        .collect()
}

#[test]
fn the_unclaimed_list_keeps_the_most_recently_seen() {
    let (_dir, store) = open();
    for i in 1..=5u16 {
        put_unclaimed(&store, &unclaimed(i, i64::from(i)), UnclaimedRank::Guess, 3);
    }
    assert_eq!(listed(&store), ["0005", "0004", "0003"]);
}

#[test]
fn no_number_of_guesses_pushes_out_a_phone() {
    let (_dir, store) = open();
    put_unclaimed(&store, &unclaimed(1, 1), UnclaimedRank::Phone, 8);
    put_unclaimed(&store, &unclaimed(2, 2), UnclaimedRank::Phone, 8);
    for i in 100..300u16 {
        put_unclaimed(&store, &unclaimed(i, i64::from(i)), UnclaimedRank::Guess, 8);
    }
    let listed = listed(&store);
    assert_eq!(listed.len(), 8);
    assert_eq!(
        &listed[..6],
        ["012b", "012a", "0129", "0128", "0127", "0126"]
    );
    assert_eq!(
        &listed[6..],
        ["0002", "0001"],
        "the phones, oldest of all, stay"
    );
}

#[test]
fn phones_leave_a_quarter_of_the_list_to_newcomers() {
    let (_dir, store) = open();
    for i in 1..=20u16 {
        put_unclaimed(&store, &unclaimed(i, i64::from(i)), UnclaimedRank::Phone, 8);
    }
    assert_eq!(listed(&store).len(), 8, "phones alone fill the list");
    for i in 100..105u16 {
        put_unclaimed(&store, &unclaimed(i, i64::from(i)), UnclaimedRank::Guess, 8);
    }
    assert_eq!(
        listed(&store),
        [
            "0068", "0067", "0014", "0013", "0012", "0011", "0010", "000f"
        ],
        "two newest guesses, six newest phones"
    );
}

#[test]
fn a_device_changes_rank_without_a_migration() {
    let (_dir, store) = open();
    // Before ranks, every entry was filed as guesses are: an older database is already in
    // this layout.
    let mut device = unclaimed(1, 1);
    put_unclaimed(&store, &device, UnclaimedRank::Guess, 10);
    assert_eq!(store.tree(TreeId::UnclaimedSeen).len(), 1);

    device.last_seen = Timestamp::from_second(2).unwrap();
    device.requests = 2;
    put_unclaimed(&store, &device, UnclaimedRank::Phone, 10);
    assert_eq!(store.tree(TreeId::UnclaimedSeen).len(), 0);
    assert_eq!(store.tree(TreeId::UnclaimedPhones).len(), 1);

    device.last_seen = Timestamp::from_second(3).unwrap();
    put_unclaimed(&store, &device, UnclaimedRank::Guess, 10);
    assert_eq!(store.tree(TreeId::UnclaimedSeen).len(), 1);
    assert_eq!(store.tree(TreeId::UnclaimedPhones).len(), 0);

    put_unclaimed(&store, &device, UnclaimedRank::Phone, 10);
    store
        .write_unflushed(|w| w.delete_unclaimed(device.mac))
        .unwrap();
    assert!(store.unclaimed_devices().unwrap().is_empty());
    assert_eq!(store.tree(TreeId::UnclaimedSeen).len(), 0);
    assert_eq!(store.tree(TreeId::UnclaimedPhones).len(), 0);
}

#[test]
fn the_audit_keeps_the_newest_fetches() {
    let (_dir, store) = open();
    let mac: Mac = "001565aabbcc".parse().unwrap();
    for second in 1..=5 {
        let fetch = Fetch {
            at: Timestamp::from_second(second).unwrap(),
            address: "192.0.2.1".parse().unwrap(),
            file: "001565aabbcc.cfg".into(),
            user_agent: None,
            model: None,
            firmware: None,
            outcome: FetchOutcome::Served,
        };
        store.record_fetch(mac, &fetch, 3).unwrap();
    }
    let seconds: Vec<i64> = store
        .audit(mac, 10)
        .unwrap()
        .iter()
        .map(|f| f.at.as_second())
        .collect();
    assert_eq!(seconds, [5, 4, 3]);
    assert_eq!(store.last_fetch(mac).unwrap().unwrap().at.as_second(), 5);
}
