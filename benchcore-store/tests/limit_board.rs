//! The limit board's contract, on PostgreSQL and on the memory board alike: concurrent holds
//! never add up to more than the ceiling, a lapsed lease frees its share, buckets keep their
//! rate across holders, shares are split fairly among what the holders want, pauses only
//! lengthen, `let_go` frees everything, and a holder that is
//! not a worker id is refused.

mod support;

use benchcore::{LimitBoard, MemoryLimitBoard, RunSpec, RunStore, StoreErrorKind, Workspace};
use benchcore_store::PostgresStore;
use std::sync::Arc;
use std::time::{Duration, Instant};
use support::postgres::TestSchema;

const LONG: Duration = Duration::from_secs(60);

/// Runs every case on `board` (whose store holds run `r`).
async fn contract(board: Arc<dyn LimitBoard>) {
    let ws = Workspace::default();
    // Eight holders ask for 4 of a ceiling of 10 at once, three times over: never more than 10.
    for _ in 0..3 {
        let asks: Vec<_> = (0..8)
            .map(|h| {
                let board = Arc::clone(&board);
                let ws = ws.clone();
                tokio::spawn(async move {
                    board
                        .hold(&ws, "r", "run", &format!("w{h}"), 4, 10, LONG)
                        .await
                        .unwrap()
                        .granted
                })
            })
            .collect();
        let mut total = 0;
        for ask in asks {
            total += ask.await.unwrap();
        }
        assert_eq!(total, 10, "the whole ceiling, and no more");
    }
    for h in 0..8 {
        board.let_go(&ws, "r", &format!("w{h}")).await.unwrap();
    }
    let all = board
        .hold(&ws, "r", "run", "w0", 10, 10, LONG)
        .await
        .unwrap();
    assert_eq!(all.granted, 10, "let_go freed every share");
    // Giving back: a smaller want is granted as asked, and frees the rest.
    let fewer = board
        .hold(&ws, "r", "run", "w0", 3, 10, LONG)
        .await
        .unwrap();
    assert_eq!(fewer.granted, 3);
    let other = board
        .hold(&ws, "r", "run", "w1", 9, 10, LONG)
        .await
        .unwrap();
    assert_eq!(other.granted, 7);

    // A lease that lapses frees its share; scopes are apart.
    let short = Duration::from_millis(300);
    let lapsing = board
        .hold(&ws, "r", "agent:a", "dies", 5, 5, short)
        .await
        .unwrap();
    assert_eq!(lapsing.granted, 5);
    let blocked = board
        .hold(&ws, "r", "agent:a", "lives", 5, 5, LONG)
        .await
        .unwrap();
    assert_eq!(blocked.granted, 0);
    tokio::time::sleep(Duration::from_millis(450)).await;
    let freed = board
        .hold(&ws, "r", "agent:a", "lives", 5, 5, LONG)
        .await
        .unwrap();
    assert_eq!(freed.granted, 5, "the lapsed share came back");

    // Fair shares: a holder that came first keeps what it holds (its slots may be in use) but
    // learns its share; once it gives back down to it, the late one gets the rest.
    let hold = |holder: &'static str, want: u32| {
        let (board, ws) = (Arc::clone(&board), ws.clone());
        async move {
            let h = board.hold(&ws, "r", "fair", holder, want, 10, LONG).await;
            let h = h.unwrap();
            (h.granted, h.share)
        }
    };
    assert_eq!(hold("first", 10).await, (10, 10));
    assert_eq!(hold("late", 10).await, (0, 5), "nothing free, half is fair");
    assert_eq!(hold("first", 10).await, (10, 5), "kept, but told its share");
    assert_eq!(hold("first", 5).await, (5, 5));
    assert_eq!(hold("late", 10).await, (5, 5));
    // Wanting less leaves more to the other: its share grows, and so does its grant.
    assert_eq!(hold("late", 2).await, (2, 2));
    assert_eq!(hold("first", 10).await, (8, 8));
    // A want of 0 drops the holding: the other may have the whole ceiling.
    assert_eq!(hold("late", 0).await, (0, 0));
    assert_eq!(hold("first", 10).await, (10, 10));

    // A bucket of 600 a minute: 10 at once, then 10 a second, whoever takes.
    let started = Instant::now();
    let mut last_wait = Duration::ZERO;
    for _ in 0..30 {
        last_wait = board
            .take(&ws, "r", "agent:a:requests", 600.0, 1.0)
            .await
            .unwrap();
    }
    let elapsed = started.elapsed();
    // 30 taken against 10 at once and 10 a second: the last may go about 2 s after the start.
    let due = elapsed + last_wait;
    assert!(
        due >= Duration::from_millis(1800) && due <= Duration::from_millis(2300),
        "the 30th request is due {due:?} after the first"
    );
    // Giving back makes room again (a token estimate corrected down).
    board
        .take(&ws, "r", "agent:a:requests", 600.0, -30.0)
        .await
        .unwrap();
    let wait = board
        .take(&ws, "r", "agent:a:requests", 600.0, 1.0)
        .await
        .unwrap();
    assert_eq!(wait, Duration::ZERO);

    // Pauses are read with a share, and a shorter one never cuts a longer one short.
    board
        .pause(&ws, "r", "agent:b", Duration::from_millis(800))
        .await
        .unwrap();
    board
        .pause(&ws, "r", "agent:b", Duration::from_millis(100))
        .await
        .unwrap();
    let paused = board
        .hold(&ws, "r", "agent:b", "w0", 0, 5, LONG)
        .await
        .unwrap();
    assert!(
        paused.paused_for > Duration::from_millis(500)
            && paused.paused_for <= Duration::from_millis(800),
        "{:?}",
        paused.paused_for
    );
    let other_scope = board
        .hold(&ws, "r", "agent:c", "w0", 1, 5, LONG)
        .await
        .unwrap();
    assert_eq!(other_scope.paused_for, Duration::ZERO);

    // Holders are worker ids; the board's own rows cannot be spoofed.
    for bad in ["", "~bucket", "~pause"] {
        let refused = board
            .hold(&ws, "r", "run", bad, 1, 10, LONG)
            .await
            .unwrap_err();
        assert_eq!(refused.kind(), StoreErrorKind::Config, "{bad:?}");
    }
    // Another workspace's run shares nothing with this one.
    let elsewhere = Workspace::new("elsewhere").unwrap();
    board.let_go(&elsewhere, "r", "w1").await.unwrap();
    let still = board
        .hold(&ws, "r", "run", "w1", 7, 10, LONG)
        .await
        .unwrap();
    assert_eq!(
        still.granted, 7,
        "let_go in another workspace freed nothing here"
    );
}

#[tokio::test]
async fn the_memory_board_keeps_the_contract() {
    contract(Arc::new(MemoryLimitBoard::new())).await;
}

#[tokio::test]
async fn the_postgres_board_keeps_the_contract() {
    let schema = TestSchema::new().await;
    let store = Arc::new(PostgresStore::open(&schema.url()).await.unwrap());
    store
        .create_run(&Workspace::default(), "r", &RunSpec::default())
        .await
        .unwrap();
    contract(store).await;
}
