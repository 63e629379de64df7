-- golden seed data for a fresh environment
CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT NOT NULL, tier TEXT NOT NULL);
INSERT INTO customers VALUES (1, 'Ada', 'gold'), (2, 'Grace', 'silver'), (3, 'Linus', 'bronze');
