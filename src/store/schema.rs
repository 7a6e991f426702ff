//! Table definitions shared by both backends (written by hand to match migrations/).
diesel::table! {
    users (id) {
        id -> Text,
        email -> Text,
        email_normalized -> Text,
        email_verified -> Bool,
        name -> Text,
        password_hash -> Nullable<Text>,
        role -> Text,
        disabled -> Bool,
        created_at -> BigInt,
        updated_at -> BigInt,
    }
}

diesel::table! {
    sessions (id_hash) {
        id_hash -> Text,
        user_id -> Text,
        auth_time -> BigInt,
        created_at -> BigInt,
        expires_at -> BigInt,
    }
}

diesel::table! {
    audit_events (id) {
        id -> BigInt,
        at -> BigInt,
        kind -> Text,
        user_id -> Nullable<Text>,
        ip -> Nullable<Text>,
        detail -> Text,
    }
}

diesel::table! {
    setup_tokens (token_hash) {
        token_hash -> Text,
        created_at -> BigInt,
        expires_at -> BigInt,
    }
}

diesel::joinable!(sessions -> users (user_id));
diesel::allow_tables_to_appear_in_same_query!(users, sessions, audit_events, setup_tokens);

diesel::table! {
    signing_keys (kid) {
        kid -> Text,
        alg -> Text,
        public_jwk -> Text,
        private_key -> Text,
        state -> Text,
        created_at -> BigInt,
        activate_after -> BigInt,
        activated_at -> Nullable<BigInt>,
        retired_at -> Nullable<BigInt>,
        drop_after -> Nullable<BigInt>,
    }
}

diesel::table! {
    key_set_state (id) {
        id -> Integer,
        version -> BigInt,
        maintained_at -> BigInt,
    }
}
