//! The cue tables of `understand.rs` other than intents, needs and
//! trades (those are `lexicon.rs` and `trades.rs`): the network named,
//! remote or in person, AI maturity, the kind of resource, injections,
//! requests to invent or for someone's personal data, words about digital
//! tools, and the words that introduce a topic.

use osez_core::Kind;
use osez_core::resource::ResourceType;

use crate::need::Maturity;

pub(crate) const KIND: &[(&str, Kind)] = &[
    ("ambassad* ia", Kind::AmbassadeurIa),
    ("ambassad* de l ia", Kind::AmbassadeurIa),
    ("ambassad*", Kind::AmbassadeurIa),
    ("activat* france num", Kind::Activateur),
    ("activat*", Kind::Activateur),
];

pub(crate) const REMOTE: &[(&str, bool, i32)] = &[
    ("visio", true, 3),
    ("a distance", true, 3),
    ("distanciel", true, 3),
    ("peu importe ou", true, 3),
    ("peu importe la ville", true, 3),
    ("peu importe qu il soit loin", true, 3),
    ("remote", true, 3),
    ("rencontr*", false, 3),
    ("en vrai", false, 3),
    ("en personne", false, 3),
    ("sur place", false, 3),
    ("venir me voir", false, 3),
    ("venir nous voir", false, 3),
    ("pres de chez moi", false, 3),
    ("presentiel", false, 3),
    ("plutot qu en visio", false, 4),
    ("passer a la boutique", false, 3),
    ("peut venir", false, 3),
    ("puisse venir", false, 3),
    ("pourrait venir", false, 3),
    ("venir a l usine", false, 3),
    ("venir a l atelier", false, 3),
    ("rendez vous a la boutique", false, 3),
    ("rendez vous au magasin", false, 3),
    ("passer au magasin", false, 3),
    ("passer nous voir", false, 3),
    ("passer me voir", false, 3),
    ("se deplac*", false, 3),
    ("sur place ou en visio", true, 7),
    ("en visio ou sur place", true, 7),
    ("sur place ou a distance", true, 7),
    ("ca nous est egal", true, 2),
    ("ca m est egal", true, 2),
    ("video call*", true, 3),
];

pub(crate) const MATURITY: &[(&str, Maturity, i32)] = &[
    ("n y connais rien", Maturity::Debutant, 3),
    ("comprends rien", Maturity::Debutant, 3),
    ("comprend rien", Maturity::Debutant, 3),
    ("de zero", Maturity::Debutant, 3),
    ("jamais rien fait", Maturity::Debutant, 3),
    ("jamais fait ca", Maturity::Debutant, 3),
    ("pas doue*", Maturity::Debutant, 3),
    ("y connais rien", Maturity::Debutant, 3),
    ("connais pas grand chose", Maturity::Debutant, 3),
    ("nul en informatique", Maturity::Debutant, 3),
    ("jamais utilise", Maturity::Debutant, 3),
    ("debut*", Maturity::Debutant, 3),
    ("par ou commencer", Maturity::Debutant, 3),
    ("je me lance", Maturity::Debutant, 3),
    ("perdu*", Maturity::Debutant, 2),
    ("tout sur word", Maturity::Debutant, 3),
    ("tout passe par le papier", Maturity::Debutant, 3),
    ("encore sur papier", Maturity::Debutant, 3),
    ("pour commencer", Maturity::Debutant, 2),
    ("premiers pas", Maturity::Debutant, 3),
    ("comprendre comment ca marche", Maturity::Debutant, 3),
    ("pas trop mon truc", Maturity::Debutant, 3),
    ("j ai du mal avec", Maturity::Debutant, 2),
    ("mettre a l informatique", Maturity::Debutant, 3),
    ("se mett* a l", Maturity::Debutant, 2),
    ("se mett* a chatgpt", Maturity::Debutant, 2),
    ("tout a la main", Maturity::Debutant, 3),
    ("utilis* deja", Maturity::EnCours, 3),
    ("deja chatgpt", Maturity::EnCours, 3),
    ("tous les jours", Maturity::EnCours, 2),
    ("j ai essaye", Maturity::EnCours, 3),
    ("aller plus loin", Maturity::Avance, 4),
];

pub(crate) const RESOURCE_TYPE: &[(&str, ResourceType)] = &[
    ("webinaire*", ResourceType::Webinaire),
    ("webinar*", ResourceType::Webinaire),
    ("replay", ResourceType::Webinaire),
    ("guide*", ResourceType::Dossier),
    ("dossier*", ResourceType::Dossier),
    ("fiche* pratique*", ResourceType::Dossier),
    ("article*", ResourceType::Article),
    ("exemple*", ResourceType::CasUsage),
    ("cas d usage", ResourceType::CasUsage),
    ("temoignage*", ResourceType::CasUsage),
];

pub(crate) const INJECTION: &[&str] = &[
    "ignore* ~ instructions",
    "oublie tout",
    "a partir de maintenant tu",
    "reponds sans",
    "sans dire que tu es une ia",
    "tu es maintenant",
    "en tant que chatgpt",
    "sans restrictions",
    "ignoriere",
    "presente le comme",
    "ignore* les consignes",
    "nouvelle consigne",
    "desactive* tes filtres",
    "olvida tus reglas",
    "du bist jetzt",
];

pub(crate) const FABRICATION: &[&str] = &[
    "invente*",
    "inventer",
    "meme si tu dois",
    "faux avis",
    "ecris moi que",
    "faux profil",
    "fais comme si",
    "comme si c etait vrai",
    "redige* ~ avis",
    "dis moi que tu es",
    "signe* tes reponses",
    "fais toi passer",
];

/// Requests for someone's personal data: always refused, whatever else the
/// message asks.
pub(crate) const PERSONAL_DATA: &[&str] = &[
    "adresse* perso*",
    "date de naissance",
    "numero de portable",
    "son portable",
    "mail* personnel",
    "habite ou",
    "ou il habite",
    "ou elle habite",
    "conversations des autres",
    "exporte* la base",
    "noms et ~ telephones",
    "telephones des",
    "coordonnees des entreprises",
    "liste des clients",
];

/// Words that say a message is about digital tools, whatever else it says.
pub(crate) const DIGITAL: &[&str] = &[
    "numerique*",
    "internet",
    "informatique",
    "digital*",
    "en ligne",
    "online",
    "web",
    "logiciel*",
    "ordinateur*",
    "tablette*",
    "application*",
    "outil*",
    "appli",
];

/// Words that introduce the topic of a request ("un dossier sur …",
/// "spécialisé en …", "qui parle …").
pub(crate) const TOPIC_MARKERS: &[&str] =
    &["sur", "pour", "specialise", "specialisee", "parle", "appliquee", "appliques"];
