use std::io::{Seek, SeekFrom};

use super::*;

fn open() -> (tempfile::TempDir, Home, Store) {
    let tmp = tempfile::tempdir().unwrap();
    let home = Home::open(tmp.path().join("h")).unwrap();
    let store = Store::open(&home).unwrap();
    (tmp, home, store)
}

/// Deterministic pseudo-random bytes (xorshift), so failures reproduce.
fn bytes(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

const SIZES: [usize; 8] = [
    0,
    1,
    1024,
    16 * 1024,
    16 * 1024 + 1,
    256 * 1024,
    256 * 1024 + 1,
    5 << 20,
];

#[test]
fn ids_are_blake3_of_the_content_for_every_size() {
    let (_t, _h, store) = open();
    for (i, &len) in SIZES.iter().enumerate() {
        let data = bytes(len, i as u64);
        let id = store.put_bytes(&data, &PutOptions::default()).unwrap();
        assert_eq!(id.hash(), blake3::hash(&data), "size {len}");
        assert_eq!(store.get(&id).unwrap(), data, "size {len}");
        assert_eq!(store.stat(&id).unwrap().size, len as u64);
    }
}

#[test]
fn readers_with_and_without_a_size_give_the_same_id() {
    let (_t, _h, store) = open();
    for (i, &len) in SIZES.iter().enumerate() {
        let data = bytes(len, 100 + i as u64);
        let a = store
            .put_reader(&data[..], Some(len as u64), &PutOptions::default())
            .unwrap();
        let b = store
            .put_reader(&data[..], None, &PutOptions::default())
            .unwrap();
        assert_eq!(a, b);
        assert_eq!(a, BlobId::of(&data));
        assert_eq!(store.get(&a).unwrap(), data);
    }
}

#[test]
fn a_reader_shorter_or_longer_than_announced_is_refused() {
    let (_t, _h, store) = open();
    let data = bytes(100_000, 1);
    let short = store.put_reader(&data[..], Some(200_000), &PutOptions::default());
    assert!(
        matches!(short, Err(StoreError::InputChanged(_))),
        "{short:?}"
    );
    let long = store.put_reader(&data[..], Some(50_000), &PutOptions::default());
    assert!(matches!(long, Err(StoreError::InputChanged(_))), "{long:?}");
    assert!(store.list().unwrap().is_empty());
}

#[test]
fn ranges_at_chunk_group_and_segment_edges() {
    let (_t, _h, store) = open();
    let len = (2 * verified_segment()) as usize + 12_345;
    let data = bytes(len, 7);
    let id = store.put_bytes(&data, &PutOptions::default()).unwrap();
    let seg = verified_segment();
    let len = len as u64;
    let edges = [
        0..0,
        0..1,
        1023..1025,
        16383..16385,
        16384..32768,
        seg - 1..seg + 1,
        seg..2 * seg,
        1..len - 1,
        len - 1..len,
        len..len,
        0..len,
    ];
    for r in edges {
        let mut out = Vec::new();
        let n = store.read_range(&id, Some(r.clone()), &mut out).unwrap();
        assert_eq!(n, r.end - r.start);
        assert_eq!(out, &data[r.start as usize..r.end as usize], "{r:?}");
    }
    let small = store
        .put_bytes(b"hello world", &PutOptions::default())
        .unwrap();
    let mut out = Vec::new();
    store.read_range(&small, Some(6..11), &mut out).unwrap();
    assert_eq!(out, b"world");
}

fn verified_segment() -> u64 {
    4 << 20
}

#[test]
fn bad_ranges_and_unknown_ids_are_errors() {
    let (_t, _h, store) = open();
    let id = store.put_bytes(b"abc", &PutOptions::default()).unwrap();
    let mut sink = Vec::new();
    assert!(matches!(
        store.read_range(&id, Some(2..4), &mut sink),
        Err(StoreError::RangePastEnd { size: 3, .. })
    ));
    #[allow(clippy::reversed_empty_ranges)]
    let reversed = store.read_range(&id, Some(2..1), &mut sink);
    assert!(matches!(reversed, Err(StoreError::BadRange { .. })));
    let unknown = BlobId::of(b"never stored");
    assert!(matches!(store.get(&unknown), Err(StoreError::NotFound(_))));
    assert!(matches!(store.pin(&unknown), Err(StoreError::NotFound(_))));
    assert!(!store.has(&unknown).unwrap());
}

fn flip_byte(path: &Path, at: u64) {
    let mut f = fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(path)
        .unwrap();
    let mut b = [0u8];
    f.seek(SeekFrom::Start(at)).unwrap();
    f.read_exact(&mut b).unwrap();
    f.seek(SeekFrom::Start(at)).unwrap();
    f.write_all(&[b[0] ^ 0x01]).unwrap();
}

#[test]
fn a_flipped_byte_in_the_data_is_caught_on_get_range_and_verify() {
    let (_t, _h, store) = open();
    let data = bytes(300_000, 3);
    let id = store.put_bytes(&data, &PutOptions::default()).unwrap();
    let sound = store
        .put_bytes(&bytes(200_000, 4), &PutOptions::default())
        .unwrap();
    flip_byte(&store.data_path(&id), 200_000);

    let err = store.get(&id).unwrap_err();
    assert!(matches!(err, StoreError::Corrupt { .. }), "{err}");
    assert!(err.to_string().contains(&id.to_string()), "{err}");
    // A range that covers the damage fails; one that does not still reads.
    let mut out = Vec::new();
    assert!(
        store
            .read_range(&id, Some(199_000..201_000), &mut out)
            .is_err()
    );
    out.clear();
    store.read_range(&id, Some(0..100_000), &mut out).unwrap();
    assert_eq!(out, &data[..100_000]);

    let damaged = store.verify_all().unwrap();
    assert_eq!(damaged.len(), 1);
    assert_eq!(damaged[0].id, id);
    store.verify(&sound).unwrap();

    // Putting the original again repairs it.
    store.put_bytes(&data, &PutOptions::default()).unwrap();
    assert_eq!(store.get(&id).unwrap(), data);
    assert!(store.verify_all().unwrap().is_empty());
}

#[test]
fn damage_to_the_outboard_or_the_file_length_is_caught() {
    let (_t, _h, store) = open();
    let data = bytes(1 << 20, 5);
    let id = store.put_bytes(&data, &PutOptions::default()).unwrap();
    flip_byte(&store.outboard_path(&id), 40);
    assert!(matches!(store.get(&id), Err(StoreError::Corrupt { .. })));

    store.put_bytes(&data, &PutOptions::default()).unwrap();
    let f = fs::OpenOptions::new()
        .write(true)
        .open(store.data_path(&id))
        .unwrap();
    f.set_len(1000).unwrap();
    assert!(matches!(store.get(&id), Err(StoreError::Corrupt { .. })));

    fs::remove_file(store.data_path(&id)).unwrap();
    let damaged = store.verify_all().unwrap();
    assert_eq!(damaged.len(), 1, "{damaged:?}");
}

#[test]
fn damaged_inline_bytes_are_caught() {
    let (_t, _h, store) = open();
    let id = store
        .put_bytes(b"small and precious", &PutOptions::default())
        .unwrap();
    let txn = store.db.begin_write().unwrap();
    txn.open_table(INLINE)
        .unwrap()
        .insert(id.0, &b"small and pre_ious"[..])
        .unwrap();
    txn.commit().unwrap();
    let err = store.get(&id).unwrap_err();
    assert!(matches!(err, StoreError::Corrupt { .. }), "{err}");
    assert_eq!(store.verify_all().unwrap().len(), 1);
}

#[test]
fn gc_keeps_pins_what_they_link_to_and_young_blobs() {
    let (_t, _h, store) = open();
    let none = PutOptions::default();
    let child = store.put_bytes(&bytes(50_000, 10), &none).unwrap();
    let grandchild = store.put_bytes(b"leaf", &none).unwrap();
    let mid = store
        .put_bytes(
            b"mid",
            &PutOptions {
                pin: false,
                links: vec![grandchild],
            },
        )
        .unwrap();
    let root = store
        .put_bytes(
            b"root",
            &PutOptions {
                pin: true,
                links: vec![child, mid],
            },
        )
        .unwrap();
    let loose_big = store.put_bytes(&bytes(70_000, 11), &none).unwrap();
    let loose_small = store.put_bytes(b"loose", &none).unwrap();

    // A grace period spares everything that was just put.
    let report = store.gc(Duration::from_secs(3600)).unwrap();
    assert!(report.removed.is_empty());

    let report = store.gc(Duration::ZERO).unwrap();
    let mut expect = vec![loose_big, loose_small];
    expect.sort_by_key(|id| id.to_string());
    assert_eq!(report.removed, expect);
    assert_eq!(report.freed_bytes, 70_000 + 5);
    for id in [root, child, mid, grandchild] {
        store.verify(&id).unwrap();
    }
    assert!(!store.data_path(&loose_big).exists());
    assert!(!store.has(&loose_small).unwrap());

    assert!(store.unpin(&root).unwrap());
    let report = store.gc(Duration::ZERO).unwrap();
    assert_eq!(report.removed.len(), 4);
    assert!(store.list().unwrap().is_empty());
}

#[test]
fn links_must_exist() {
    let (_t, _h, store) = open();
    let ghost = BlobId::of(b"ghost");
    let err = store
        .put_bytes(
            b"parent",
            &PutOptions {
                pin: true,
                links: vec![ghost],
            },
        )
        .unwrap_err();
    assert!(matches!(err, StoreError::MissingLink(id) if id == ghost));
    assert!(store.list().unwrap().is_empty());
}

#[test]
fn reopening_removes_leftovers_but_keeps_blobs() {
    let (_t, home, store) = open();
    let data = bytes(100_000, 12);
    let id = store.put_bytes(&data, &PutOptions::default()).unwrap();
    let orphan = store
        .blobs_dir
        .join("ab")
        .join(format!("{}.data", "ab".repeat(32)));
    fs::create_dir_all(orphan.parent().unwrap()).unwrap();
    fs::write(&orphan, b"half written").unwrap();
    fs::write(store.tmp_dir.join("123-0.data"), b"in progress").unwrap();
    drop(store);
    let store = Store::open(&home).unwrap();
    assert!(!orphan.exists());
    assert_eq!(fs::read_dir(&store.tmp_dir).unwrap().count(), 0);
    assert_eq!(store.get(&id).unwrap(), data);
}

#[test]
fn gc_racing_puts_never_leaves_a_row_without_its_file() {
    let (_t, _h, store) = open();
    let contents: Vec<Vec<u8>> = (0..4).map(|i| bytes(40_000 + i, 20 + i as u64)).collect();
    std::thread::scope(|s| {
        for data in &contents {
            let store = &store;
            s.spawn(move || {
                for _ in 0..25 {
                    store.put_bytes(data, &PutOptions::default()).unwrap();
                }
            });
        }
        s.spawn(|| {
            for _ in 0..50 {
                store.gc(Duration::ZERO).unwrap();
            }
        });
    });
    assert!(store.verify_all().unwrap().is_empty());
}

#[test]
fn list_is_sorted_and_reports_pins() {
    let (_t, _h, store) = open();
    let a = store
        .put_bytes(
            b"a",
            &PutOptions {
                pin: true,
                links: vec![],
            },
        )
        .unwrap();
    let b = store.put_bytes(b"b", &PutOptions::default()).unwrap();
    let list = store.list().unwrap();
    let ids: Vec<String> = list.iter().map(|b| b.id.to_string()).collect();
    let mut sorted = ids.clone();
    sorted.sort();
    assert_eq!(ids, sorted);
    assert!(list.iter().any(|x| x.id == a && x.pinned));
    assert!(list.iter().any(|x| x.id == b && !x.pinned));
}

#[test]
fn random_ranges_of_odd_sizes_read_back_exactly() {
    let (_t, _h, store) = open();
    let sizes = [16_385, 32_767, 49_152, 65_537, 1_048_577, (8 << 20) + 3];
    let mut x: u64 = 0x2545_F491_4F6C_DD1D;
    let mut next = |bound: u64| {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x % bound.max(1)
    };
    for (i, &len) in sizes.iter().enumerate() {
        let data = bytes(len, 300 + i as u64);
        let id = store.put_bytes(&data, &PutOptions::default()).unwrap();
        for _ in 0..40 {
            let a = next(len as u64 + 1);
            let b = next(len as u64 + 1);
            let r = a.min(b)..a.max(b);
            let mut out = Vec::new();
            store.read_range(&id, Some(r.clone()), &mut out).unwrap();
            assert_eq!(
                out,
                &data[r.start as usize..r.end as usize],
                "size {len} {r:?}"
            );
        }
    }
}

#[test]
fn every_flipped_outboard_pair_and_every_damaged_group_is_caught() {
    let (_t, _h, store) = open();
    let data = bytes(100_000, 400); // 7 chunk groups, 6 parent pairs
    let id = store.put_bytes(&data, &PutOptions::default()).unwrap();
    let ob = store.outboard_path(&id);
    let ob_len = fs::metadata(&ob).unwrap().len();
    assert_eq!(ob_len, 6 * 64);
    for at in (0..ob_len).step_by(32) {
        flip_byte(&ob, at);
        assert!(store.verify(&id).is_err(), "outboard byte {at}");
        flip_byte(&ob, at);
        store.verify(&id).unwrap();
    }
    let dp = store.data_path(&id);
    for at in (0..100_000).step_by(16_384).chain([99_999]) {
        flip_byte(&dp, at);
        assert!(store.verify(&id).is_err(), "data byte {at}");
        flip_byte(&dp, at);
    }
    store.verify(&id).unwrap();
}

#[test]
fn named_roots_point_at_blobs_and_keep_them_through_gc() {
    let (_t, _h, store) = open();
    let old = store
        .put_bytes(b"snapshot 1", &PutOptions::default())
        .unwrap();
    let new = store
        .put_bytes(b"snapshot 2", &PutOptions::default())
        .unwrap();
    assert_eq!(store.root("index:repo").unwrap(), None);
    store.set_root("index:repo", &old).unwrap();
    store.set_root("index:repo", &new).unwrap();
    assert_eq!(store.root("index:repo").unwrap(), Some(new));
    let report = store.gc(Duration::ZERO).unwrap();
    assert_eq!(report.removed, vec![old]);
    assert_eq!(store.get(&new).unwrap(), b"snapshot 2");
    let ghost = BlobId::of(b"never stored");
    assert!(matches!(
        store.set_root("x", &ghost),
        Err(StoreError::NotFound(_))
    ));
}
