CREATE INDEX rfcs_state_template ON rfcs (state, template, id);
