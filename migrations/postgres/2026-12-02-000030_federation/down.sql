DROP TABLE federation_link_proofs;
DROP TABLE federation_pending_links;
DROP TABLE federation_flows;
DROP TABLE federated_identities;
