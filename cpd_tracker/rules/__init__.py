"""Pure rules: functions of plain data and a date, with no database and no clock inside."""
