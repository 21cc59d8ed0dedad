//! A fixed-capacity ring buffer.

pub struct RingBuffer<T> {
    items: Vec<T>,
}

impl<T> RingBuffer<T> {
    pub fn new(capacity: usize) -> Self {
        let _ = capacity;
        todo!()
    }

    pub fn push(&mut self, item: T) -> Option<T> {
        let _ = item;
        todo!()
    }

    pub fn pop(&mut self) -> Option<T> {
        todo!()
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    pub fn is_full(&self) -> bool {
        todo!()
    }

    pub fn capacity(&self) -> usize {
        todo!()
    }

    pub fn iter(&self) -> impl Iterator<Item = &T> + '_ {
        self.items.iter()
    }
}
