-- dutydesk schema: the desk's settings (the statutory clocks live in the
-- database, so everyone on one file gets the same deadlines). Changed only by
-- a duty manager through `dutydesk settings`; every change is an event with
-- its before and after, so this table can be rebuilt from the log.
--
-- One row per setting, key and value as text, canonical forms only (the desk
-- parses and checks every value with the domain's own parsers before writing):
--   timescales.profile              seed | working-together-2023
--   timescales.override.<kind>      a timescale, e.g. "end of 2nd working day"
--   calendar.closure.<YYYY-MM-DD>   '' (an extra closure day)
--   calendar.not_holiday.<YYYY-MM-DD> '' (a built-in bank holiday that does not apply)
-- No row means the built-in default.

CREATE TABLE settings (
    key    TEXT PRIMARY KEY NOT NULL CHECK (
               key = 'timescales.profile'
               OR (key GLOB 'timescales.override.[a-z]*' AND key NOT GLOB '*[^a-z_.]*')
               OR key GLOB 'calendar.closure.[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]'
               OR key GLOB 'calendar.not_holiday.[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]'),
    value  TEXT NOT NULL CHECK (length(value) <= 100),
    CHECK (key NOT GLOB 'calendar.*' OR value = '')
) STRICT, WITHOUT ROWID;

-- Whether the settings were ever changed (so the one-time import of an old
-- personal config's clocks happens once, even if every setting is later unset).
CREATE INDEX events_settings ON events(kind, id)
    WHERE kind IN ('setting_changed', 'settings_imported');
