//! The stored form JSON and the content hash of every shipped form, and of the fixtures
//! that use every field kind, pinned as they were before the kinds moved behind one
//! registration line: a refactor of the schema types must not change a byte of them.

use super::*;

/// SHA-256 (hex) of the JSON a form version is stored as.
fn stored_json_hash(v: &FormVariant) -> String {
    let json = serde_json::to_string(v).unwrap();
    hex::encode(ring::digest::digest(&ring::digest::SHA256, json.as_bytes()))
}

/// `state/id vN content_hash stored_json_hash` per variant, sorted.
fn fingerprints(variants: &[&FormVariant]) -> Vec<String> {
    let mut out: Vec<String> = variants
        .iter()
        .map(|v| {
            let json = stored_json_hash(v);
            format!(
                "{}/{} v{} {} {json}",
                v.state, v.id, v.version, v.content_hash
            )
        })
        .collect();
    out.sort();
    out
}

/// Shipped forms, sorted. Computed on main (e45deb6) before the kinds moved; renewed when
/// every variant got a new version for the memorable-date date of birth (issue 15).
const SHIPPED: [&str; 21] = [
    "bb/betrug v2 10e83ca8e8af40fb4b43b6489a5e3f1a77b2316ac55bcbfaced0fa278b89ca33 974fb55c134619f367bcf8934ea17fa7888bf260c9621d83f69e23aa4fd32c05",
    "bb/diebstahl v2 5b606750fb771298d1fb1f8bc96270c467984087e144a919bb746bdb89bd2149 e4cab7c8b269c67c9cc4535b2e273d8f4d414846a908f730d505c567bfb53d75",
    "bb/fahrraddiebstahl v2 1cd634a4ac3a39ea7a4f2b323ea4b51ae428a0362e47e2a922bda9f8e0436985 67e5e623b8dae4442960eb088a79a4dc97ca7ab12459b87754a2347ceb7013bf",
    "bb/hass-im-netz v2 f7ae6601bc8e5a9b1023a8377208a4e45971c6dc9dc776cf9c3225c2658c8703 dc0ebd74c0b47657e941a641bd691db5f0eab59885f047914ae9e4f0973e50c9",
    "bb/hinweis v2 2c674212adcb2049ce48eb8f5da2d712c7bff68cd392c9bd663f439ca3dac3cf c8444268a573c36afff650285754d416cd321801ec17f07982225e1fd3eb736b",
    "bb/lob-und-beschwerde v2 5f89319656510315e4cc8ed764dbc3abd43be46f0ff9ff468da00e84fe08f9a9 efe0223bfb4e72afac12841a56f7435663d912db13fcccd2a7f67ce9e6f80f25",
    "bb/sachbeschaedigung v2 1c591abaa7832fd0ec4ac45eed67086903ba6711c4afe6a0d2e9014604ed247e 08c512c7ae2d85faa01576ec9d6716938b6e99792e05d7c72e641c1bdf538556",
    "be/betrug v2 f9d04a615b690b525966ceefcd0e80a328ebf343ea25794bbcde05f0645b2800 82b7d006accacb5e692a6c7113bfe5feb9c86d7c674c990f513e5f554fd72b7e",
    "be/diebstahl v2 5239475b22ac2dc0541b66f67fe23257ab13714cba548c783a9e416ed75746e8 89a4bbb39e4d8fad3fca70303923527cfeaff56a28462277befe69b6b175b54f",
    "be/fahrraddiebstahl v3 b061c8903eae59c1289ef27cd0cc4ffb850dcb7cec9b015d28deacf56479ecd3 c3d82a33b209a65357edb0b0882085004e7b94accdd24deb7f3a4252cde647b7",
    "be/hass-im-netz v2 68659ac9f9d5bdcc2e30e56afbc2d70fec285a7f37080b3bd33a278bd2a45b6d f9574f31a46aec1afd9d4f91e19ac6cfe6e53adf3bfcdddc9fde0fe3a455f4db",
    "be/hinweis v2 e2597543ff996783dd7c8521e82f368585eb8907d9b0597a3545c5adf8c3eb73 9a147bac216fd0fafab3018b561f72574f643c4c790cd664240da0270035a5eb",
    "be/lob-und-beschwerde v2 b1494e328bccb12d413438397ce1a0ae59a10f01c6dcc6ea291bde4451c7617a c9d02b4f81677d5f95c8584febff118da26231469339325dfd7f4ff4080c741b",
    "be/sachbeschaedigung v2 2a5848a38a96916c7d5b2c3500f85c61ecde8ec6dc188722a5dedf200486003d 9a95f44c66e315ffb28edbeeba6959e0125408764c34e6a756a5e0ed4f60b8af",
    "mv/betrug v2 97ce3a3e19265f7e66a8dd30ab43b5cc60b8c4af1b758ddced25131aba88722f 1b6797c6a1035cad08d5adee5e7a2bd0785880e49eb66e94c7b21fb3a67d74b9",
    "mv/diebstahl v2 94f059b8a8f4b96d36a4257760635621ae537ce548b510845c32746d6c7cbb21 249228587ffb6499d52bc46f5148a0f7c60f9899d71182e0be00542aba372e5c",
    "mv/fahrraddiebstahl v2 ad348a52d182362f2750e34c4b653811b10c7c47a0bd78f7336f8d9d8265c656 5685729b4e51d7eaa60412c608abdb465213fbcbaf056074fa3b4ccab788cf39",
    "mv/hass-im-netz v2 6a550c6a4ddfdad4258326f18662d5cc6a87aa5d51f7d85e50c5f884653e8ccb c60d4b74fea84ac775c3a88d6a7e51f09aebfd7b41c9ca6f11ea64a2e4e05bcf",
    "mv/hinweis v2 c5f0555d2d3c54ead0db802f739150463a77c3090a747ef718a71fda16cada76 9c2f92c993b00e8743da2041a5dee69aff41b66a2728d7586809f15d4b1cd772",
    "mv/lob-und-beschwerde v2 71aa692d36f2bad41627f0f166884a05ddbe56f9b6380703d9b781b79a7481ef 7014d2729d9a845e7c74bcd3de19dffe5020c2d68c5b5c9d2da7afa29aef94c5",
    "mv/sachbeschaedigung v2 afb11cb585b4bd5e47da8a183f0aeb5bf75c1277e6a3b4ed1f10afc850ecfb1b e292d6ec47842d795e85f7168eaedeaa77186d9567deba85c9396a894ac8c09e",
];

/// The same for the fixtures that together use every kind (`ALL_TYPES`, `MEMORABLE`).
const FIXTURES: [&str; 2] = [
    "be/alles v1 f2a66b9432c47de59e773621c8713559aeb04bc8ca372b95889c5ba1c1081fc3 c7943e007ec86e8c3a027663a6680b2970bb6a1afff537e9a2924bc8f3550364",
    "be/geburt v1 2616ded529c27fd95d6ac4ae50f37612127c2ec2c3e8a358d1fd51c9b6f665bb 621434d50103a7bc14379a66342ce787d8a4437da4d2a0827c12f7f2d8aeeb2e",
];

#[test]
fn stored_json_and_content_hashes_stay_byte_identical() {
    let c = Catalog::load(&shipped()).unwrap();
    let shipped: Vec<&FormVariant> = c.variants().collect();
    assert_eq!(fingerprints(&shipped), SHIPPED);
    let all = variant();
    let memorable = parse_upload(&state(), "geburt.toml", MEMORABLE, &Catalog::default()).unwrap();
    assert_eq!(fingerprints(&[&all, &memorable]), FIXTURES);
}

#[test]
fn stored_json_reads_back_to_the_same_bytes() {
    let c = Catalog::load(&shipped()).unwrap();
    for v in c.variants() {
        let json = serde_json::to_string(v).unwrap();
        let back: FormVariant = serde_json::from_str(&json).unwrap();
        assert_eq!(serde_json::to_string(&back).unwrap(), json, "{}", v.id);
        assert_eq!(catalog::content_hash(&back), v.content_hash, "{}", v.id);
    }
}
