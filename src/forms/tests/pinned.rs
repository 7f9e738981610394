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

/// Computed on main (e45deb6) before the change: shipped forms, sorted.
const SHIPPED: [&str; 21] = [
    "bb/betrug v1 f4fabbbf8da5d17003feddb8d5647fcc32ac0662e5e098bc5d587965792a0c0b 6e9a0b94fd154391e5a94f250fe7c5ffb7e42e9cc7ca5a86187d4c8f1d5eaa80",
    "bb/diebstahl v1 e42c8148e3ae678b247a78fa376f8dce152230718b51341359cad84c160322e3 95ac7ff6c3050269ecd625874f8381b52a472b5bfd03a1fc01b8fe1f1ffde6f6",
    "bb/fahrraddiebstahl v1 821e40e5ac9a682fc94a2139e4ba6ba8dcbf85534af5a26684992cdb912dec76 fd5688ec2d64c9f587a9f25d299ed582855967257d6c950ca95b48204f183f5f",
    "bb/hass-im-netz v1 e10f2db3e6b526a93eba2791e04b13b084a06aa8d9159583d4399b2b10ec9265 773058bed902b49723015da422e2696f21bea455c4c871c74be2a7a47c45878a",
    "bb/hinweis v1 c6e0b45a961bb4d97109be0a609b2392baab9689c6961b762711dd654a4b5aa2 6b9c3d4589fca4a1e51e9016e82359095609b5e8be179414dd1499fbc4da7ca6",
    "bb/lob-und-beschwerde v1 cee7d2737fc43ea1a962846946d8d396bc6b5d60d1cd4924e3f41a0844f3c383 78ef3d7f25a704aacb38656a296642c281c347af989341b8a73ec863aae92bef",
    "bb/sachbeschaedigung v1 258f4b01fc2fede02e4c2d23b7d56884ff261547cbfdb0ce50850805f822f7e6 88711b95b2c7c71ec781da161fd5f6c1f96511e32caacfc123177fa48807e1e1",
    "be/betrug v1 7b71c94a7c98dc125bf78c82b7cc37b5f9a3631829b9e36cf53ad26091c11bde 8c6f7f2e055b1acfbf38fe4423df6889e0f7b0e27fbad5f008bf8595b92886e3",
    "be/diebstahl v1 6b14c3124f1c588e72bfda3806d59dcf4db0e150aaad92fb79a970bf86e1d54d 5a847499445083bc7c57645afc2c005a47a35819c65139d68227a0bfaa24e6f8",
    "be/fahrraddiebstahl v2 f0f7546b09fa0b5368d898050f74ee45075feadf1e6ff0c5499807c86254ad1b 53197dbc9fe538edc476b8af095e369b1e1d34d4699aa599480b50b5475d1c5e",
    "be/hass-im-netz v1 04b7fe74fd41ca1b4e9945bca6c255c4361319e7b4d55348d78d970ae01ba098 727d7e619beb8a07f08612a103aa9d7c3869a5129fc94180bc9ff4d613b47c6b",
    "be/hinweis v1 1f6afae2d74b2bcccb5b6853fc79c2196b21e90e94bdc54e67ab2064746c0c0f 895f94f953578c0d8292e54a7d61bbce7c32315b5ec8ed1952ae765edee18920",
    "be/lob-und-beschwerde v1 9cbe85dd32f720566e528c56dccb4cb16081a147a906d0aaeb3316dda5b6c9da 6c200405912dee134c40858914ec0ae103f12a4484572164eaa9ffe16464e70c",
    "be/sachbeschaedigung v1 9eb81477a225616f2da044a2e6233d74de7bafb54262b4c7fc2aa26b11329050 08dcbf92b99fc0b45c9d9831bea8689e810740b741b3d87dd814c2c05db209b0",
    "mv/betrug v1 cf210b6c9ac24d8955f83d685f0297d706d1bdcb6c68d28fc37011a818af3e2c 6a2fa3d81469579a7c6550b6fad39ec0d661f8c8e15e5e741f4d6d695fc1e59c",
    "mv/diebstahl v1 7ea226a44c8edc7cddb4cd50a9d0445915f44e6926079df49f44d5b261639df1 f5ed03ba3f75900d1c913a6855c939f7699b193fc732f1b2eb6ac72f681a5367",
    "mv/fahrraddiebstahl v1 3d374335af741d0c0703e7962554a6c73109d049a9d0c2cb7b96ac93770447a2 a5464514ec486184b41d013c9e7e50c2954d8a5ecdf685ebf53c5631d911e98e",
    "mv/hass-im-netz v1 92e02827981e1515ed49605470440b4bbc9a4b69ec268b38b6d11c8bf286087e c2c4824d2eda243d1e221ea4f2f3652d6b12aa4d33a2e43b9de3150872befea8",
    "mv/hinweis v1 a91cbb5c3084b195dbc5740dfa4cb3f1d0dea596406558ac400dd6d2b39fe954 d91f901382c8a71d3c8626b470fa2dea69aa11388c4a44bec6597a46a8c3d892",
    "mv/lob-und-beschwerde v1 14d12109f4e6749ab6ebc78c49b1b31158b91668964d82f7402e009fe7535fd2 2d0489cc4ef5ac7a344885cec72ddaeb581d959e9e81cb0d6a4dbf2493ffbf13",
    "mv/sachbeschaedigung v1 7f85184ac4e18cfa3fc2b3b2edcdfbcdab81d0dbd8564a7e584886de67748256 f49c0e7816254978f1edd725631ddbe615e280164089d65973bc663a8409df3e",
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
