DROP TABLE key_set_state;
DROP TABLE signing_keys;
