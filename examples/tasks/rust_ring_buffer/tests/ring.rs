use ring_buffer::RingBuffer;

#[test]
fn push_and_pop_in_order() {
    let mut r = RingBuffer::new(3);
    assert_eq!(r.push(1), None);
    assert_eq!(r.push(2), None);
    assert_eq!(r.pop(), Some(1));
    assert_eq!(r.pop(), Some(2));
    assert_eq!(r.pop(), None);
    assert!(r.is_empty());
}

#[test]
fn full_buffer_drops_the_oldest() {
    let mut r = RingBuffer::new(2);
    r.push("a");
    r.push("b");
    assert!(r.is_full());
    assert_eq!(r.push("c"), Some("a"));
    assert_eq!(r.iter().copied().collect::<Vec<_>>(), ["b", "c"]);
    assert_eq!((r.len(), r.capacity()), (2, 2));
}

#[test]
fn wraps_around_many_times() {
    let mut r = RingBuffer::new(4);
    for i in 0..103 {
        r.push(i);
    }
    assert_eq!(r.iter().copied().collect::<Vec<_>>(), [99, 100, 101, 102]);
    assert_eq!(r.pop(), Some(99));
    r.push(103);
    r.push(104);
    assert_eq!(r.iter().copied().collect::<Vec<_>>(), [101, 102, 103, 104]);
}

#[test]
#[should_panic]
fn zero_capacity_panics() {
    let _ = RingBuffer::<u8>::new(0);
}
