"""Staff records: roles at schools, start and leaving dates, and a person's CPD record."""
