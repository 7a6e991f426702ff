//! Pages a person can use without help (issue 10, item 9): the deployment's name and accent
//! on every page and in mail, error pages in plain words with a way on, confirmations after
//! changes, the application named at login, consent in words, favicons.
mod branding;
mod errors;
mod flash;
mod sign_in;
