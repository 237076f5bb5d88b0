-- The RFC list filtered by state and template (benchmark P2) uses this index.
CREATE INDEX rfcs_state_template ON rfcs (state, template, id);
