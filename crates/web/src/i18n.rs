//! The three UI languages: Japanese (default), English, and やさしい日本語 (easy Japanese,
//! for residents who read Japanese as a second language and for children).
//!
//! Texts are fields of a struct, one static instance per language, so a missing translation
//! is a compile error rather than a blank on a resident's screen.

use axum::http::HeaderMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Ja,
    En,
    EasyJa,
}

/// The cookie that remembers a chosen language.
pub const LANG_COOKIE: &str = "ydx_lang";

impl Lang {
    pub const ALL: [Lang; 3] = [Lang::Ja, Lang::EasyJa, Lang::En];

    pub fn code(self) -> &'static str {
        match self {
            Lang::Ja => "ja",
            Lang::En => "en",
            Lang::EasyJa => "ja-easy",
        }
    }

    /// The value of the page's `lang` attribute (BCP 47). Easy Japanese is Japanese.
    pub fn html_lang(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Ja | Lang::EasyJa => "ja",
        }
    }

    /// The language's own name, as shown in the switcher.
    pub fn native_name(self) -> &'static str {
        match self {
            Lang::Ja => "日本語",
            Lang::En => "English",
            Lang::EasyJa => "やさしい にほんご",
        }
    }

    pub fn parse(s: &str) -> Option<Lang> {
        match s {
            "ja" => Some(Lang::Ja),
            "en" => Some(Lang::En),
            "ja-easy" | "easy" => Some(Lang::EasyJa),
            _ => None,
        }
    }

    /// The cookie first, then Accept-Language, then Japanese.
    pub fn from_headers(headers: &HeaderMap) -> Lang {
        if let Some(v) = cookie(headers, LANG_COOKIE).and_then(|v| Lang::parse(&v)) {
            return v;
        }
        let accept = headers
            .get(axum::http::header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let mut best: Option<(f32, Lang)> = None;
        for part in accept.split(',') {
            let mut it = part.trim().split(';');
            let tag = it.next().unwrap_or("").trim().to_ascii_lowercase();
            let q = it
                .find_map(|p| p.trim().strip_prefix("q=").and_then(|q| q.parse().ok()))
                .unwrap_or(1.0);
            let lang = if tag.starts_with("ja") {
                Lang::Ja
            } else if tag.starts_with("en") {
                Lang::En
            } else {
                continue;
            };
            if best.is_none_or(|(bq, _)| q > bq) {
                best = Some((q, lang));
            }
        }
        best.map(|(_, l)| l).unwrap_or(Lang::Ja)
    }

    pub fn texts(self) -> &'static Texts {
        match self {
            Lang::Ja => &JA,
            Lang::En => &EN,
            Lang::EasyJa => &EASY,
        }
    }

    /// Picks the Japanese or English form of a name stored in both.
    pub fn pick<'a>(self, ja: &'a str, en: &'a str) -> &'a str {
        match self {
            Lang::En => en,
            Lang::Ja | Lang::EasyJa => ja,
        }
    }
}

/// Reads one cookie from the request headers.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

/// Every text of the web shell.
#[derive(Debug)]
pub struct Texts {
    pub site_name: &'static str,
    pub prefecture: &'static str,
    pub skip_to_content: &'static str,
    pub main_nav: &'static str,
    pub language: &'static str,
    pub municipality: &'static str,
    pub all_municipalities: &'static str,
    pub choose: &'static str,
    pub home: &'static str,
    pub map: &'static str,
    pub catalog: &'static str,
    pub staff_area: &'static str,
    pub sign_in: &'static str,
    pub sign_out: &'static str,
    pub sign_up: &'static str,
    pub email: &'static str,
    pub password: &'static str,
    pub display_name: &'static str,
    pub password_hint: &'static str,
    pub no_account: &'static str,
    pub signed_in_as: &'static str,
    pub bad_credentials: &'static str,
    pub too_many_attempts: &'static str,
    pub email_taken: &'static str,
    pub invalid_email: &'static str,
    pub password_too_short: &'static str,
    pub home_lead: &'static str,
    pub services: &'static str,
    pub sample_data_notice: &'static str,
    pub attributions: &'static str,
    pub boundaries_attribution: &'static str,
    pub map_title: &'static str,
    pub map_lead: &'static str,
    pub map_label: &'static str,
    pub locate_title: &'static str,
    pub latitude: &'static str,
    pub longitude: &'static str,
    pub locate_button: &'static str,
    pub located_inside: &'static str,
    pub located_snapped: &'static str,
    pub located_outside: &'static str,
    pub invalid_coordinate: &'static str,
    pub code: &'static str,
    pub lg_code: &'static str,
    pub name: &'static str,
    pub kana: &'static str,
    pub english_name: &'static str,
    pub municipalities: &'static str,
    pub audit_log: &'static str,
    pub api_tokens: &'static str,
    pub when: &'static str,
    pub who: &'static str,
    pub action: &'static str,
    pub record: &'static str,
    pub change: &'static str,
    pub no_entries: &'static str,
    pub organization: &'static str,
    pub your_organizations: &'static str,
    pub role: &'static str,
    pub token_name: &'static str,
    pub create_token: &'static str,
    pub revoke: &'static str,
    pub revoked: &'static str,
    pub last_used: &'static str,
    pub never: &'static str,
    pub token_created: &'static str,
    pub token_once: &'static str,
    pub error_title: &'static str,
    pub not_found: &'static str,
    pub forbidden: &'static str,
    pub sign_in_required: &'static str,
    pub bad_request: &'static str,
    pub csrf_failed: &'static str,
    pub server_error: &'static str,
    pub back_home: &'static str,
    pub save: &'static str,
    pub search: &'static str,
    pub coming_soon: &'static str,
}

pub static JA: Texts = Texts {
    site_name: "やまぐちデジタル行政サービス",
    prefecture: "山口県",
    skip_to_content: "本文へ移動",
    main_nav: "メインメニュー",
    language: "言語",
    municipality: "市町",
    all_municipalities: "県内全域",
    choose: "選択",
    home: "ホーム",
    map: "地図",
    catalog: "オープンデータ",
    staff_area: "職員用ページ",
    sign_in: "ログイン",
    sign_out: "ログアウト",
    sign_up: "アカウント登録",
    email: "メールアドレス",
    password: "パスワード",
    display_name: "表示名",
    password_hint: "10文字以上で入力してください。",
    no_account: "アカウントをお持ちでない方",
    signed_in_as: "ログイン中",
    bad_credentials: "メールアドレスまたはパスワードが正しくありません。",
    too_many_attempts: "ログインの失敗が続いたため、しばらく受け付けません。15分ほど待ってからもう一度お試しください。",
    email_taken: "このメールアドレスはすでに登録されています。ログインしてください。",
    invalid_email: "メールアドレスの形式が正しくありません。例：taro@example.jp",
    password_too_short: "パスワードが短すぎます。10文字以上で入力してください。",
    home_lead: "山口県と県内19市町のデジタル行政サービスです。",
    services: "サービス",
    sample_data_notice: "このサイトはデモ環境です。表示されているデータはすべてサンプルデータです。",
    attributions: "出典",
    boundaries_attribution: "出典：国土数値情報（行政区域データ）（国土交通省）",
    map_title: "山口県の市町",
    map_lead: "県内19市町の区域です。地図タイルが読み込めない環境でも、市町の境界を表示します。",
    map_label: "山口県の市町の地図",
    locate_title: "地点の市町を調べる",
    latitude: "緯度",
    longitude: "経度",
    locate_button: "調べる",
    located_inside: "この地点は次の市町の区域内です",
    located_snapped: "この地点は区域のすぐ外（海岸線付近）のため、最も近い市町としました",
    located_outside: "この地点は山口県内ではありません。",
    invalid_coordinate: "緯度・経度を数字で入力してください（例：緯度 34.1859、経度 131.4706）。",
    code: "コード",
    lg_code: "全国地方公共団体コード",
    name: "名称",
    kana: "ふりがな",
    english_name: "英語名",
    municipalities: "市町一覧",
    audit_log: "操作履歴",
    api_tokens: "APIトークン",
    when: "日時",
    who: "操作者",
    action: "操作",
    record: "対象",
    change: "変更内容",
    no_entries: "記録はありません。",
    organization: "組織",
    your_organizations: "所属組織",
    role: "権限",
    token_name: "トークンの名前（用途）",
    create_token: "トークンを発行",
    revoke: "無効にする",
    revoked: "無効",
    last_used: "最終利用",
    never: "未使用",
    token_created: "トークンを発行しました。",
    token_once: "このトークンは今回だけ表示されます。安全な場所に保存してください。",
    error_title: "エラー",
    not_found: "お探しのページは見つかりませんでした。",
    forbidden: "このページを表示する権限がありません。",
    sign_in_required: "このページを表示するにはログインしてください。",
    bad_request: "入力内容に誤りがあります。",
    csrf_failed: "フォームの有効期限が切れました。ページを再読み込みしてからもう一度送信してください。",
    server_error: "システムで問題が発生しました。時間をおいてもう一度お試しください。",
    back_home: "ホームへ戻る",
    save: "保存",
    search: "検索",
    coming_soon: "準備中",
};

pub static EN: Texts = Texts {
    site_name: "Yamaguchi Digital Public Services",
    prefecture: "Yamaguchi Prefecture",
    skip_to_content: "Skip to main content",
    main_nav: "Main menu",
    language: "Language",
    municipality: "Municipality",
    all_municipalities: "Whole prefecture",
    choose: "Choose",
    home: "Home",
    map: "Map",
    catalog: "Open data",
    staff_area: "Staff area",
    sign_in: "Sign in",
    sign_out: "Sign out",
    sign_up: "Create an account",
    email: "Email address",
    password: "Password",
    display_name: "Display name",
    password_hint: "At least 10 characters.",
    no_account: "No account yet?",
    signed_in_as: "Signed in as",
    bad_credentials: "The email address or password is not correct.",
    too_many_attempts: "Too many failed sign-ins. Please wait about 15 minutes and try again.",
    email_taken: "An account with this email address already exists. Please sign in.",
    invalid_email: "This email address is not valid. Example: taro@example.jp",
    password_too_short: "The password is too short. Use at least 10 characters.",
    home_lead: "Digital public services of Yamaguchi Prefecture and its 19 municipalities.",
    services: "Services",
    sample_data_notice: "This is a demonstration site. All data shown is sample data.",
    attributions: "Sources",
    boundaries_attribution: "Source: National Land Numerical Information (Administrative Areas), MLIT (国土数値情報（行政区域データ）（国土交通省）)",
    map_title: "Municipalities of Yamaguchi",
    map_lead: "The areas of the 19 municipalities. The boundaries are drawn even where no map tiles can be loaded.",
    map_label: "Map of the municipalities of Yamaguchi Prefecture",
    locate_title: "Find the municipality of a place",
    latitude: "Latitude",
    longitude: "Longitude",
    locate_button: "Find",
    located_inside: "This place is inside",
    located_snapped: "This place is just outside the mapped boundary (near the coast); the nearest municipality is",
    located_outside: "This place is not in Yamaguchi Prefecture.",
    invalid_coordinate: "Enter latitude and longitude as numbers (e.g. latitude 34.1859, longitude 131.4706).",
    code: "Code",
    lg_code: "Local government code",
    name: "Name",
    kana: "Reading",
    english_name: "English name",
    municipalities: "Municipalities",
    audit_log: "Audit log",
    api_tokens: "API tokens",
    when: "When",
    who: "Who",
    action: "Action",
    record: "Record",
    change: "Change",
    no_entries: "No entries.",
    organization: "Organisation",
    your_organizations: "Your organisations",
    role: "Role",
    token_name: "Token name (what it is for)",
    create_token: "Create token",
    revoke: "Revoke",
    revoked: "Revoked",
    last_used: "Last used",
    never: "Never",
    token_created: "Token created.",
    token_once: "This token is shown only once. Store it somewhere safe.",
    error_title: "Error",
    not_found: "The page you are looking for was not found.",
    forbidden: "You do not have permission to see this page.",
    sign_in_required: "Please sign in to see this page.",
    bad_request: "Some of the input is not valid.",
    csrf_failed: "The form has expired. Reload the page and send it again.",
    server_error: "Something went wrong on our side. Please try again later.",
    back_home: "Back to home",
    save: "Save",
    search: "Search",
    coming_soon: "Coming soon",
};

pub static EASY: Texts = Texts {
    site_name: "やまぐちけんの デジタル サービス",
    prefecture: "やまぐちけん",
    skip_to_content: "ほんぶんへ いどう",
    main_nav: "メニュー",
    language: "ことば",
    municipality: "し・ちょう",
    all_municipalities: "けん ぜんたい",
    choose: "えらぶ",
    home: "ホーム",
    map: "ちず",
    catalog: "オープンデータ",
    staff_area: "しょくいんの ページ",
    sign_in: "ログイン",
    sign_out: "ログアウト",
    sign_up: "アカウントを つくる",
    email: "メールアドレス",
    password: "パスワード",
    display_name: "なまえ",
    password_hint: "10もじ いじょう かいてください。",
    no_account: "アカウントが ない ひと",
    signed_in_as: "ログインしている ひと",
    bad_credentials: "メールアドレスか パスワードが ちがいます。",
    too_many_attempts: "なんかいも まちがえました。15ふん まってから もういちど してください。",
    email_taken: "この メールアドレスは もう つかわれています。ログインしてください。",
    invalid_email: "メールアドレスが ただしく ありません。れい：taro@example.jp",
    password_too_short: "パスワードが みじかいです。10もじ いじょう かいてください。",
    home_lead: "やまぐちけんと 19の し・ちょうの デジタル サービスです。",
    services: "サービス",
    sample_data_notice: "これは ためしの サイトです。データは ぜんぶ サンプル（ほんものでは ない データ）です。",
    attributions: "でどころ",
    boundaries_attribution: "出典：国土数値情報（行政区域データ）（国土交通省）",
    map_title: "やまぐちけんの し・ちょう",
    map_lead: "19の し・ちょうの ばしょです。",
    map_label: "やまぐちけんの し・ちょうの ちず",
    locate_title: "ばしょの し・ちょうを しらべる",
    latitude: "いど（緯度）",
    longitude: "けいど（経度）",
    locate_button: "しらべる",
    located_inside: "この ばしょは つぎの し・ちょうです",
    located_snapped: "この ばしょは うみの ちかくです。いちばん ちかい し・ちょうは",
    located_outside: "この ばしょは やまぐちけんでは ありません。",
    invalid_coordinate: "いどと けいどを すうじで かいてください（れい：34.1859、131.4706）。",
    code: "コード",
    lg_code: "ちほうこうきょうだんたい コード",
    name: "なまえ",
    kana: "よみかた",
    english_name: "えいごの なまえ",
    municipalities: "し・ちょうの いちらん",
    audit_log: "そうさの きろく",
    api_tokens: "APIトークン",
    when: "いつ",
    who: "だれ",
    action: "なにを したか",
    record: "たいしょう",
    change: "かわった ところ",
    no_entries: "きろくは ありません。",
    organization: "そしき",
    your_organizations: "あなたの そしき",
    role: "けんげん",
    token_name: "トークンの なまえ",
    create_token: "トークンを つくる",
    revoke: "つかえなく する",
    revoked: "つかえません",
    last_used: "さいごに つかった ひ",
    never: "まだ つかっていません",
    token_created: "トークンを つくりました。",
    token_once: "この トークンは いまだけ みえます。なくさないように ほぞんしてください。",
    error_title: "エラー",
    not_found: "ページが みつかりません。",
    forbidden: "この ページは みることが できません。",
    sign_in_required: "ログインしてください。",
    bad_request: "かいた ないようが ちがいます。",
    csrf_failed: "じかんが たちすぎました。ページを よみなおして もういちど おくってください。",
    server_error: "システムに もんだいが あります。しばらく してから もういちど してください。",
    back_home: "ホームへ もどる",
    save: "ほぞん",
    search: "さがす",
    coming_soon: "じゅんびちゅう",
};

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn cookie_beats_accept_language() {
        let mut h = HeaderMap::new();
        h.insert(
            "accept-language",
            HeaderValue::from_static("en-US,en;q=0.9"),
        );
        assert_eq!(Lang::from_headers(&h), Lang::En);
        h.insert("cookie", HeaderValue::from_static("a=b; ydx_lang=ja-easy"));
        assert_eq!(Lang::from_headers(&h), Lang::EasyJa);
    }

    #[test]
    fn default_is_japanese_and_q_values_count() {
        assert_eq!(Lang::from_headers(&HeaderMap::new()), Lang::Ja);
        let mut h = HeaderMap::new();
        h.insert(
            "accept-language",
            HeaderValue::from_static("en;q=0.5, ja;q=0.8, fr"),
        );
        assert_eq!(Lang::from_headers(&h), Lang::Ja);
    }
}
