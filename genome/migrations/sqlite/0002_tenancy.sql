-- 0002_tenancy.sql (SQLite) — the same limits on alert names and notes as Postgres's 0002_tenancy.sql, for
-- every writer of the file (not only genome/service.py): acknowledged_by and resolved_by hold at most
-- MAX_NAME_LENGTH = 100 characters and no character genome/text_rules.py FORBIDDEN_IN_TEXT forbids;
-- ack_note and resolution_note at most MAX_NOTE_LENGTH = 2000 and none FORBIDDEN_IN_NOTE forbids (tabs
-- and line breaks allowed). SQLite cannot add a check to a table, so triggers refuse such a row (the
-- classes as GLOB ranges of code points; NUL found in the bytes, as SQLite's text functions stop at it).
-- organization_members is Postgres only (no users sign in to a file); the index on brands'
-- organization keeps the two engines' indexes equal (tests/test_schema_parity.py).

create index brands_organization on brands (organization_id);

create trigger alerts_names_insert before insert on system_alerts
    when length(new.acknowledged_by) > 100 or instr(cast(new.acknowledged_by as blob), x'00') > 0
         or new.acknowledged_by glob '*[' || char(1) || '-' || char(31) || char(127) || '-' || char(159) || char(1564) || char(8203) || '-' || char(8207) || char(8234) || '-' || char(8238) || char(8288) || char(8294) || '-' || char(8297) || char(65279) || char(173) || char(6158) || char(8232) || char(8233) || char(8289) || '-' || char(8292) || char(917504) || '-' || char(917631) || ']*'
         or length(new.resolved_by) > 100 or instr(cast(new.resolved_by as blob), x'00') > 0
         or new.resolved_by glob '*[' || char(1) || '-' || char(31) || char(127) || '-' || char(159) || char(1564) || char(8203) || '-' || char(8207) || char(8234) || '-' || char(8238) || char(8288) || char(8294) || '-' || char(8297) || char(65279) || char(173) || char(6158) || char(8232) || char(8233) || char(8289) || '-' || char(8292) || char(917504) || '-' || char(917631) || ']*'
begin
    select raise(abort, 'an alert''s acknowledged_by or resolved_by is longer than 100 characters or holds a control, bidirectional or zero-width character');
end;

create trigger alerts_notes_insert before insert on system_alerts
    when length(new.ack_note) > 2000 or instr(cast(new.ack_note as blob), x'00') > 0
         or new.ack_note glob '*[' || char(1) || '-' || char(8) || char(11) || char(12) || char(14) || '-' || char(31) || char(127) || '-' || char(159) || char(1564) || char(8203) || '-' || char(8207) || char(8234) || '-' || char(8238) || char(8288) || char(8294) || '-' || char(8297) || char(65279) || char(173) || char(6158) || char(8232) || char(8233) || char(8289) || '-' || char(8292) || char(917504) || '-' || char(917631) || ']*'
         or length(new.resolution_note) > 2000 or instr(cast(new.resolution_note as blob), x'00') > 0
         or new.resolution_note glob '*[' || char(1) || '-' || char(8) || char(11) || char(12) || char(14) || '-' || char(31) || char(127) || '-' || char(159) || char(1564) || char(8203) || '-' || char(8207) || char(8234) || '-' || char(8238) || char(8288) || char(8294) || '-' || char(8297) || char(65279) || char(173) || char(6158) || char(8232) || char(8233) || char(8289) || '-' || char(8292) || char(917504) || '-' || char(917631) || ']*'
begin
    select raise(abort, 'an alert''s note is longer than 2000 characters or holds a control, bidirectional or zero-width character');
end;

create trigger alerts_names_update before update of acknowledged_by, resolved_by on system_alerts
    when length(new.acknowledged_by) > 100 or instr(cast(new.acknowledged_by as blob), x'00') > 0
         or new.acknowledged_by glob '*[' || char(1) || '-' || char(31) || char(127) || '-' || char(159) || char(1564) || char(8203) || '-' || char(8207) || char(8234) || '-' || char(8238) || char(8288) || char(8294) || '-' || char(8297) || char(65279) || char(173) || char(6158) || char(8232) || char(8233) || char(8289) || '-' || char(8292) || char(917504) || '-' || char(917631) || ']*'
         or length(new.resolved_by) > 100 or instr(cast(new.resolved_by as blob), x'00') > 0
         or new.resolved_by glob '*[' || char(1) || '-' || char(31) || char(127) || '-' || char(159) || char(1564) || char(8203) || '-' || char(8207) || char(8234) || '-' || char(8238) || char(8288) || char(8294) || '-' || char(8297) || char(65279) || char(173) || char(6158) || char(8232) || char(8233) || char(8289) || '-' || char(8292) || char(917504) || '-' || char(917631) || ']*'
begin
    select raise(abort, 'an alert''s acknowledged_by or resolved_by is longer than 100 characters or holds a control, bidirectional or zero-width character');
end;

create trigger alerts_notes_update before update of ack_note, resolution_note on system_alerts
    when length(new.ack_note) > 2000 or instr(cast(new.ack_note as blob), x'00') > 0
         or new.ack_note glob '*[' || char(1) || '-' || char(8) || char(11) || char(12) || char(14) || '-' || char(31) || char(127) || '-' || char(159) || char(1564) || char(8203) || '-' || char(8207) || char(8234) || '-' || char(8238) || char(8288) || char(8294) || '-' || char(8297) || char(65279) || char(173) || char(6158) || char(8232) || char(8233) || char(8289) || '-' || char(8292) || char(917504) || '-' || char(917631) || ']*'
         or length(new.resolution_note) > 2000 or instr(cast(new.resolution_note as blob), x'00') > 0
         or new.resolution_note glob '*[' || char(1) || '-' || char(8) || char(11) || char(12) || char(14) || '-' || char(31) || char(127) || '-' || char(159) || char(1564) || char(8203) || '-' || char(8207) || char(8234) || '-' || char(8238) || char(8288) || char(8294) || '-' || char(8297) || char(65279) || char(173) || char(6158) || char(8232) || char(8233) || char(8289) || '-' || char(8292) || char(917504) || '-' || char(917631) || ']*'
begin
    select raise(abort, 'an alert''s note is longer than 2000 characters or holds a control, bidirectional or zero-width character');
end;
