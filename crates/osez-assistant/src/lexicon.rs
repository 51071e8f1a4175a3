//! The cue phrases the assistant reads a need from, and how they match.
//!
//! A cue is folded French (no accents, apostrophes and hyphens as spaces).
//! A word ending in `*` matches any word it begins ("recrut*": recruter,
//! recrutement); `~` stands for zero to four words of any kind ("vendre ~
//! en ligne"). Words of seven letters or more also match with one typo.
//! The weights say how strongly a cue points at its value; the value with
//! the highest total wins. A cue inside a longer one that matched does not
//! count: the longer one's weight is the phrase's.

use osez_core::Specialty;

use crate::need::Intent;
use crate::words::Token;

/// Where a cue matched: words `start..end`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub fn len(self) -> usize {
        self.end - self.start
    }

    pub fn is_empty(self) -> bool {
        self.end == self.start
    }

    pub fn within(self, other: Span) -> bool {
        self.start >= other.start && self.end <= other.end && self != other
    }
}

fn word_matches(pattern: &str, word: &str) -> bool {
    if let Some(prefix) = pattern.strip_suffix('*') {
        return word.starts_with(prefix);
    }
    if pattern == word {
        return true;
    }
    pattern.len() >= 7 && word.len() >= 6 && strsim::damerau_levenshtein(pattern, word) <= 1
}

fn match_from(pattern: &[&str], words: &[Token], at: usize) -> Option<usize> {
    let Some((&first, rest)) = pattern.split_first() else {
        return Some(at);
    };
    if first == "~" {
        return (0..=4).filter(|g| at + g <= words.len()).find_map(|g| match_from(rest, words, at + g));
    }
    let w = words.get(at)?;
    if word_matches(first, &w.text) { match_from(rest, words, at + 1) } else { None }
}

/// Every place where `cue` matches in `words`, left to right, without
/// overlapping itself.
pub fn find(cue: &str, words: &[Token]) -> Vec<Span> {
    let pattern: Vec<&str> = cue.split(' ').collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < words.len() {
        match match_from(&pattern, words, i) {
            Some(end) if end > i => {
                out.push(Span { start: i, end });
                i = end;
            }
            _ => i += 1,
        }
    }
    out
}

/// What the person wants. Out-of-scope cues are requests Osez does not
/// serve or must refuse; they lose to a genuine need stated as strongly.
pub const INTENT: &[(&str, Intent, i32)] = &[
    // Finding someone.
    ("conseiller*", Intent::FindAdviser, 2),
    ("conseillere*", Intent::FindAdviser, 2),
    ("quelqu un", Intent::FindAdviser, 2),
    ("accompagn*", Intent::FindAdviser, 2),
    ("ambassad*", Intent::FindAdviser, 3),
    ("activat*", Intent::FindAdviser, 3),
    ("expert", Intent::FindAdviser, 2),
    ("un specialiste", Intent::FindAdviser, 2),
    ("m aider", Intent::FindAdviser, 1),
    ("m aide", Intent::FindAdviser, 1),
    ("nous aider", Intent::FindAdviser, 1),
    ("aidez moi", Intent::FindAdviser, 1),
    ("besoin d aide", Intent::FindAdviser, 1),
    ("de l aide", Intent::FindAdviser, 1),
    ("rencontrer", Intent::FindAdviser, 1),
    ("nous former", Intent::FindAdviser, 2),
    ("me former", Intent::FindAdviser, 1),
    ("looking for someone", Intent::FindAdviser, 2),
    ("some help", Intent::FindAdviser, 2),
    ("un conseil", Intent::FindAdviser, 2),
    ("un conseiller pour", Intent::FindAdviser, 2),
    ("m explique", Intent::FindAdviser, 1),
    ("me guider", Intent::FindAdviser, 2),
    ("nous guider", Intent::FindAdviser, 2),
    ("asesor*", Intent::FindAdviser, 2),
    ("berater*", Intent::FindAdviser, 2),
    // Reading.
    ("guide", Intent::FindResource, 3),
    ("guides", Intent::FindResource, 3),
    ("articol*", Intent::FindResource, 3),
    ("article*", Intent::FindResource, 3),
    ("dossier pratique", Intent::FindResource, 3),
    ("un dossier", Intent::FindResource, 2),
    ("fiche* pratique*", Intent::FindResource, 3),
    ("webinaire*", Intent::FindResource, 3),
    ("webinar*", Intent::FindResource, 3),
    ("replay", Intent::FindResource, 3),
    ("a lire", Intent::FindResource, 3),
    ("lire quelque chose", Intent::FindResource, 3),
    ("documentation", Intent::FindResource, 3),
    ("ressources", Intent::FindResource, 3),
    ("tutoriel*", Intent::FindResource, 3),
    ("tuto*", Intent::FindResource, 3),
    ("de la doc", Intent::FindResource, 3),
    ("des videos", Intent::FindResource, 3),
    ("des replays", Intent::FindResource, 3),
    ("quelque chose a lire", Intent::FindResource, 3),
    ("a partager avec", Intent::FindResource, 1),
    ("m envoyer quelque chose", Intent::FindResource, 3),
    ("quelque chose sur", Intent::FindResource, 2),
    ("explique* ce que", Intent::FindResource, 2),
    ("ce que fait un", Intent::FindResource, 2),
    // Use cases.
    ("exemple*", Intent::LearnUseCase, 3),
    ("cas d usage", Intent::LearnUseCase, 4),
    ("concretement", Intent::LearnUseCase, 2),
    ("comment d autres", Intent::LearnUseCase, 3),
    ("d autres font", Intent::LearnUseCase, 3),
    ("ca marche comment", Intent::LearnUseCase, 2),
    ("servir a quoi", Intent::LearnUseCase, 4),
    ("peut servir", Intent::LearnUseCase, 3),
    ("peut il utiliser", Intent::LearnUseCase, 2),
    ("peut elle utiliser", Intent::LearnUseCase, 2),
    ("peut m aider dans mon metier", Intent::LearnUseCase, 4),
    ("peut vraiment", Intent::LearnUseCase, 2),
    ("on peut vraiment", Intent::LearnUseCase, 2),
    ("temoignage*", Intent::LearnUseCase, 3),
    ("retour* d experience", Intent::LearnUseCase, 4),
    ("comment d autres ~ utilis*", Intent::LearnUseCase, 3),
    ("d autres ~ utilis*", Intent::LearnUseCase, 2),
    ("collegues utilis*", Intent::LearnUseCase, 3),
    ("qui le font", Intent::LearnUseCase, 3),
    ("qui se servent", Intent::LearnUseCase, 3),
    ("comment ca se passe chez", Intent::LearnUseCase, 3),
    ("du concret", Intent::LearnUseCase, 3),
    ("fait pour moi", Intent::LearnUseCase, 3),
    ("apporterait quoi", Intent::LearnUseCase, 4),
    ("apporte quoi", Intent::LearnUseCase, 4),
    ("a quoi ca sert", Intent::LearnUseCase, 4),
    ("vaut le coup", Intent::LearnUseCase, 3),
    ("ce que font les autres", Intent::LearnUseCase, 4),
    // Precautions.
    ("risque*", Intent::Precaution, 3),
    ("sans risque", Intent::Precaution, 2),
    ("le droit", Intent::Precaution, 3),
    ("dangereux", Intent::Precaution, 3),
    ("legal*", Intent::Precaution, 3),
    ("prevenir mes clients", Intent::Precaution, 4),
    ("dois je prevenir", Intent::Precaution, 3),
    ("verifie*", Intent::Precaution, 2),
    ("invente parfois", Intent::Precaution, 4),
    ("partent ~ etats unis", Intent::Precaution, 4),
    ("j ai peur pour", Intent::Precaution, 3),
    ("comprend* rien au rgpd", Intent::Precaution, 3),
    ("c est grave", Intent::Precaution, 3),
    ("confidentialit*", Intent::Precaution, 2),
    ("quelles regles", Intent::Precaution, 3),
    ("a qui ~ appartien*", Intent::Precaution, 4),
    ("droit* d auteur", Intent::Precaution, 4),
    ("je risque", Intent::Precaution, 2),
    ("discrimin*", Intent::Precaution, 3),
    ("est ce autorise", Intent::Precaution, 3),
    ("interdit", Intent::Precaution, 3),
    ("precaution*", Intent::Precaution, 4),
    ("fiable*", Intent::Precaution, 2),
    ("appartien*", Intent::Precaution, 3),
    ("plagiat", Intent::Precaution, 4),
    ("ilegal", Intent::Precaution, 4),
    // A person.
    ("vraie personne", Intent::TalkToPerson, 8),
    ("quelqu un de votre equipe", Intent::TalkToPerson, 8),
    ("pas avec un programme", Intent::TalkToPerson, 8),
    ("pas avec une machine", Intent::TalkToPerson, 8),
    ("echanger avec quelqu un", Intent::TalkToPerson, 7),
    ("etre contacte*", Intent::TalkToPerson, 6),
    ("parl* a une personne", Intent::TalkToPerson, 8),
    ("parl* a quelqu un", Intent::TalkToPerson, 8),
    ("un humain", Intent::TalkToPerson, 6),
    ("passez moi quelqu un", Intent::TalkToPerson, 7),
    ("me recontacte", Intent::TalkToPerson, 6),
    ("mettre en contact", Intent::TalkToPerson, 5),
    ("plutot qu a un robot", Intent::TalkToPerson, 4),
    ("me servir de ce chat", Intent::TalkToPerson, 4),
    ("de l equipe", Intent::TalkToPerson, 2),
    ("vrai personne", Intent::TalkToPerson, 8),
    ("en chair et en os", Intent::TalkToPerson, 6),
    ("me rappeler", Intent::TalkToPerson, 5),
    ("me rappelle", Intent::TalkToPerson, 5),
    ("qu on m appelle", Intent::TalkToPerson, 6),
    ("pas un robot", Intent::TalkToPerson, 5),
    ("pas a un robot", Intent::TalkToPerson, 5),
    ("quelqu un de l equipe", Intent::TalkToPerson, 5),
    ("parler avec quelqu un", Intent::TalkToPerson, 5),
    ("en parler avec quelqu un", Intent::TalkToPerson, 5),
    ("conseiller humain", Intent::TalkToPerson, 8),
    ("joindre quelqu un", Intent::TalkToPerson, 5),
    ("par telephone", Intent::TalkToPerson, 2),
    ("ne comprend pas", Intent::TalkToPerson, 3),
    ("aucune nouvelle", Intent::TalkToPerson, 3),
    ("reclamation", Intent::TalkToPerson, 5),
    ("rappel* moi", Intent::TalkToPerson, 6),
    ("au tel", Intent::TalkToPerson, 3),
    ("pessoa de verdade", Intent::TalkToPerson, 8),
    ("falar com", Intent::TalkToPerson, 4),
    ("talk to a person", Intent::TalkToPerson, 8),
    ("speak to someone", Intent::TalkToPerson, 8),
    ("menschen sprechen", Intent::TalkToPerson, 8),
    // The person's data.
    ("ce que j ecris", Intent::DataRights, 7),
    ("au titre du rgpd", Intent::DataRights, 7),
    ("donnees ~ sur moi", Intent::DataRights, 7),
    ("enregistre* sur moi", Intent::DataRights, 7),
    ("mes messages", Intent::DataRights, 5),
    ("ma conversation", Intent::DataRights, 7),
    ("supprim* ~ conversation", Intent::DataRights, 4),
    ("garde combien de temps", Intent::DataRights, 5),
    ("combien de temps", Intent::DataRights, 2),
    ("entrainer une ia", Intent::DataRights, 4),
    ("qui peut les lire", Intent::DataRights, 4),
    ("ce que je vous ai dit", Intent::DataRights, 3),
    ("ce que vous conservez", Intent::DataRights, 6),
    ("conservez sur moi", Intent::DataRights, 6),
    ("vous stockez", Intent::DataRights, 6),
    ("vous gardez", Intent::DataRights, 5),
    ("ce que j ai ecrit", Intent::DataRights, 6),
    ("supprimer mon compte", Intent::DataRights, 6),
    ("toutes mes donnees", Intent::DataRights, 6),
    ("mes donnees sont ou", Intent::DataRights, 6),
    ("effac* mes", Intent::DataRights, 5),
    ("supprim* mes", Intent::DataRights, 4),
    ("copie de ~ ce que", Intent::DataRights, 4),
    ("mes informations personnelles", Intent::DataRights, 4),
    ("stockez quoi", Intent::DataRights, 6),
    ("sur moi", Intent::DataRights, 2),
    ("ca reste combien de temps", Intent::DataRights, 5),
    ("loschen", Intent::DataRights, 6),
    ("daten gespeichert", Intent::DataRights, 6),
    ("delete my data", Intent::DataRights, 8),
    // Not what Osez does.
    ("meteo", Intent::OutOfScope, 4),
    ("la meteo ~ demain", Intent::OutOfScope, 8),
    ("quel temps", Intent::OutOfScope, 8),
    ("weather", Intent::OutOfScope, 8),
    ("recette", Intent::OutOfScope, 8),
    ("divorce", Intent::OutOfScope, 8),
    ("pret bancaire", Intent::OutOfScope, 8),
    ("emprunt*", Intent::OutOfScope, 6),
    ("medicament*", Intent::OutOfScope, 8),
    ("mal au dos", Intent::OutOfScope, 8),
    ("en bourse", Intent::OutOfScope, 8),
    ("le match", Intent::OutOfScope, 8),
    ("impots", Intent::OutOfScope, 8),
    ("fuite", Intent::OutOfScope, 6),
    ("reparer", Intent::OutOfScope, 4),
    ("invente* ~ liste", Intent::OutOfScope, 2),
    ("traduis*", Intent::OutOfScope, 8),
    ("tradui* ~ en anglais", Intent::OutOfScope, 4),
    ("smartphone", Intent::OutOfScope, 6),
    ("subvention*", Intent::OutOfScope, 8),
    ("gedicht", Intent::OutOfScope, 8),
    ("poeme", Intent::OutOfScope, 8),
    ("succession", Intent::OutOfScope, 6),
    ("taux de tva", Intent::OutOfScope, 6),
    ("controle d hygiene", Intent::OutOfScope, 6),
    ("lettre de licenciement", Intent::OutOfScope, 7),
    ("redige moi", Intent::OutOfScope, 3),
    ("un bon notaire", Intent::OutOfScope, 6),
    ("un bon avocat", Intent::OutOfScope, 6),
    ("cherche un avocat", Intent::OutOfScope, 5),
    ("cherche un notaire", Intent::OutOfScope, 5),
    ("mon divorce", Intent::OutOfScope, 4),
    ("horoscope", Intent::OutOfScope, 8),
    ("loto", Intent::OutOfScope, 8),
    ("bewertung*", Intent::OutOfScope, 6),
    ("el mas barato", Intent::OutOfScope, 6),
    ("cuanto cobra", Intent::OutOfScope, 6),
    ("tva", Intent::OutOfScope, 5),
    ("porte* plainte", Intent::OutOfScope, 7),
    ("controle technique", Intent::OutOfScope, 6),
    ("le maire", Intent::OutOfScope, 5),
    ("combien je dois payer", Intent::OutOfScope, 6),
    ("brut ou en net", Intent::OutOfScope, 6),
    ("faux profil", Intent::OutOfScope, 8),
    ("fais comme si", Intent::OutOfScope, 6),
    ("comme si c etait vrai", Intent::OutOfScope, 6),
    ("redige* ~ avis", Intent::OutOfScope, 7),
    ("personne ne verifiera", Intent::OutOfScope, 3),
    // Requests to refuse.
    ("invente*", Intent::OutOfScope, 4),
    ("prompt systeme", Intent::OutOfScope, 8),
    ("tes instructions", Intent::OutOfScope, 2),
    ("pirater le wifi", Intent::OutOfScope, 10),
    ("mail* personnel", Intent::OutOfScope, 8),
    ("pas l adresse pro", Intent::OutOfScope, 6),
    ("numero de portable", Intent::OutOfScope, 8),
    ("adresse* perso*", Intent::OutOfScope, 8),
    ("date de naissance", Intent::OutOfScope, 8),
    ("exporte* la base", Intent::OutOfScope, 8),
    ("base complete", Intent::OutOfScope, 6),
    ("combien ~ facture* chaque", Intent::OutOfScope, 6),
    ("le moins cher", Intent::OutOfScope, 4),
    ("faux avis", Intent::OutOfScope, 8),
    ("mode developpeur", Intent::OutOfScope, 8),
    ("conversations des autres", Intent::OutOfScope, 8),
    ("en premier dans tes resultats", Intent::OutOfScope, 8),
    ("je te paierai", Intent::OutOfScope, 8),
    ("ecris moi que", Intent::OutOfScope, 6),
    ("anweisungen", Intent::OutOfScope, 4),
    ("preter ~ euros", Intent::OutOfScope, 8),
    ("prete* moi", Intent::OutOfScope, 8),
    ("reserve moi", Intent::OutOfScope, 6),
    ("reserver une table", Intent::OutOfScope, 8),
    ("visa", Intent::OutOfScope, 6),
    ("titre de sejour", Intent::OutOfScope, 8),
    ("comment pirater", Intent::OutOfScope, 10),
    ("entrer dans ~ concurrent", Intent::OutOfScope, 10),
    ("mail* de mon concurrent", Intent::OutOfScope, 10),
    ("espionner", Intent::OutOfScope, 10),
    ("dis moi que tu es", Intent::OutOfScope, 8),
    ("signe* tes reponses", Intent::OutOfScope, 8),
];

/// What the person needs help with.
pub const SPECIALTY: &[(&str, Specialty, i32)] = &[
    ("ia", Specialty::IaGenerative, 3),
    ("intelligence artificielle", Specialty::IaGenerative, 3),
    ("inteligencia artificial", Specialty::IaGenerative, 3),
    ("ki", Specialty::IaGenerative, 3),
    ("chatgpt", Specialty::IaGenerative, 2),
    ("chat gpt", Specialty::IaGenerative, 2),
    ("mistral", Specialty::IaGenerative, 2),
    ("copilot", Specialty::IaGenerative, 2),
    ("prompt*", Specialty::IaGenerative, 2),
    ("automatis*", Specialty::IaGenerative, 2),
    ("utilis* l ia", Specialty::IaGenerative, 6),
    ("utilis* chatgpt", Specialty::IaGenerative, 5),
    ("avec l ia", Specialty::IaGenerative, 5),
    ("avec l intelligence artificielle", Specialty::IaGenerative, 5),
    ("agents qui", Specialty::IaGenerative, 1),
    ("par une ia", Specialty::IaGenerative, 5),
    ("une ia", Specialty::IaGenerative, 4),
    ("intelligenza artificiale", Specialty::IaGenerative, 3),
    ("artificial intelligence", Specialty::IaGenerative, 3),
    ("genera* de texte*", Specialty::IaGenerative, 3),
    ("reseaux sociaux", Specialty::MarketingDigital, 3),
    ("les reseaux", Specialty::MarketingDigital, 3),
    ("facebook", Specialty::MarketingDigital, 2),
    ("instagram", Specialty::MarketingDigital, 3),
    ("linkedin", Specialty::MarketingDigital, 3),
    ("tiktok", Specialty::MarketingDigital, 3),
    ("communication", Specialty::MarketingDigital, 2),
    ("newsletter*", Specialty::MarketingDigital, 2),
    ("publicite*", Specialty::MarketingDigital, 2),
    ("marketing", Specialty::MarketingDigital, 3),
    ("posts", Specialty::MarketingDigital, 1),
    ("visuels", Specialty::MarketingDigital, 1),
    ("la pub", Specialty::MarketingDigital, 2),
    ("de la pub", Specialty::MarketingDigital, 2),
    ("canva", Specialty::MarketingDigital, 2),
    ("lettre d information", Specialty::MarketingDigital, 2),
    ("social", Specialty::MarketingDigital, 2),
    ("social media", Specialty::MarketingDigital, 3),
    ("emailing", Specialty::MarketingDigital, 3),
    ("site", Specialty::SiteWebEcommerce, 3),
    ("sites", Specialty::SiteWebEcommerce, 3),
    ("site internet", Specialty::SiteWebEcommerce, 3),
    ("site de vente en ligne", Specialty::SiteWebEcommerce, 4),
    ("website", Specialty::SiteWebEcommerce, 3),
    ("pagina web", Specialty::SiteWebEcommerce, 3),
    ("e commerce", Specialty::SiteWebEcommerce, 3),
    ("ecommerce", Specialty::SiteWebEcommerce, 3),
    ("vente en ligne", Specialty::SiteWebEcommerce, 4),
    ("vendre ~ en ligne", Specialty::SiteWebEcommerce, 4),
    ("vente ~ en ligne", Specialty::SiteWebEcommerce, 4),
    ("vendre ~ sur internet", Specialty::SiteWebEcommerce, 4),
    ("vendre ~ internet", Specialty::SiteWebEcommerce, 3),
    ("boutique en ligne", Specialty::SiteWebEcommerce, 4),
    ("click and collect", Specialty::SiteWebEcommerce, 4),
    ("lancer sur internet", Specialty::SiteWebEcommerce, 3),
    ("reservation en ligne", Specialty::SiteWebEcommerce, 3),
    ("reserv* direct*", Specialty::SiteWebEcommerce, 2),
    ("selling online", Specialty::SiteWebEcommerce, 4),
    ("online shop", Specialty::SiteWebEcommerce, 4),
    ("vendere online", Specialty::SiteWebEcommerce, 4),
    ("command* ~ en ligne", Specialty::SiteWebEcommerce, 4),
    ("payer ~ en ligne", Specialty::SiteWebEcommerce, 4),
    ("paiement en ligne", Specialty::SiteWebEcommerce, 3),
    ("inscri* ~ en ligne", Specialty::SiteWebEcommerce, 3),
    ("reserv* ~ en ligne", Specialty::SiteWebEcommerce, 3),
    ("reserv* ~ sur internet", Specialty::SiteWebEcommerce, 3),
    ("trouvable* sur internet", Specialty::SiteWebEcommerce, 3),
    ("trouvable* en ligne", Specialty::SiteWebEcommerce, 3),
    ("marketplace", Specialty::SiteWebEcommerce, 3),
    ("place de marche", Specialty::SiteWebEcommerce, 3),
    ("nom de domaine", Specialty::SiteWebEcommerce, 3),
    ("refaire ~ site", Specialty::SiteWebEcommerce, 2),
    ("referenc*", Specialty::Referencement, 4),
    ("seo", Specialty::Referencement, 4),
    ("google", Specialty::Referencement, 3),
    ("visibilite", Specialty::Referencement, 3),
    ("avis clients", Specialty::Referencement, 2),
    ("avis de nos clients", Specialty::Referencement, 2),
    ("avis google", Specialty::Referencement, 3),
    ("fiche etablissement", Specialty::Referencement, 3),
    ("google maps", Specialty::Referencement, 3),
    ("tripadvisor", Specialty::Referencement, 3),
    ("remonter dans les resultats", Specialty::Referencement, 4),
    ("premier* sur google", Specialty::Referencement, 3),
    ("show up higher", Specialty::Referencement, 3),
    ("remonter", Specialty::Referencement, 2),
    ("en page", Specialty::Referencement, 2),
    ("cybersecur*", Specialty::Cybersecurite, 4),
    ("cyberattaque*", Specialty::Cybersecurite, 4),
    ("securite informatique", Specialty::Cybersecurite, 4),
    ("securiser", Specialty::Cybersecurite, 3),
    ("pirat*", Specialty::Cybersecurite, 3),
    ("hacker*", Specialty::Cybersecurite, 3),
    ("arnaqu*", Specialty::Cybersecurite, 2),
    ("rancongiciel*", Specialty::Cybersecurite, 4),
    ("ransomware*", Specialty::Cybersecurite, 4),
    ("sauvegarde*", Specialty::Cybersecurite, 2),
    ("mot* de passe", Specialty::Cybersecurite, 3),
    ("phishing", Specialty::Cybersecurite, 3),
    ("hameconnage", Specialty::Cybersecurite, 3),
    ("virus", Specialty::Cybersecurite, 3),
    ("cyber", Specialty::Cybersecurite, 4),
    ("fausse facture", Specialty::Cybersecurite, 4),
    ("piege*", Specialty::Cybersecurite, 3),
    ("piece jointe", Specialty::Cybersecurite, 2),
    ("arnaque*", Specialty::Cybersecurite, 2),
    ("faux sms", Specialty::Cybersecurite, 3),
    ("antivirus", Specialty::Cybersecurite, 3),
    ("gestion", Specialty::GestionComptabilite, 2),
    ("comptabilite", Specialty::GestionComptabilite, 3),
    ("compta", Specialty::GestionComptabilite, 3),
    ("factur*", Specialty::GestionComptabilite, 3),
    ("devis", Specialty::GestionComptabilite, 2),
    ("tresorerie", Specialty::GestionComptabilite, 3),
    ("logiciel de gestion", Specialty::GestionComptabilite, 3),
    ("administratif", Specialty::GestionComptabilite, 1),
    ("logiciel de caisse", Specialty::GestionComptabilite, 4),
    ("caisse enregistreuse", Specialty::GestionComptabilite, 4),
    ("stocks", Specialty::GestionComptabilite, 2),
    ("impayes", Specialty::GestionComptabilite, 3),
    ("paiement* en ligne", Specialty::GestionComptabilite, 2),
    ("relation* client*", Specialty::RelationClient, 4),
    ("crm", Specialty::RelationClient, 4),
    ("service client", Specialty::RelationClient, 4),
    ("fidelis*", Specialty::RelationClient, 3),
    ("chatbot", Specialty::RelationClient, 4),
    ("rendez vous", Specialty::RelationClient, 3),
    ("suivre mes clients", Specialty::RelationClient, 3),
    ("systeme de reservation", Specialty::RelationClient, 2),
    ("fidelite", Specialty::RelationClient, 3),
    ("reserv* ~ eux memes", Specialty::RelationClient, 3),
    ("reserv* et annul*", Specialty::RelationClient, 3),
    ("relancer ~ clients", Specialty::RelationClient, 3),
    ("fichier clients propre", Specialty::RelationClient, 3),
    ("prise de commande*", Specialty::RelationClient, 2),
    ("repondre aux messages", Specialty::RelationClient, 2),
    ("ressources humaines", Specialty::RessourcesHumaines, 4),
    ("rh", Specialty::RessourcesHumaines, 2),
    ("recrut*", Specialty::RessourcesHumaines, 4),
    ("embauch*", Specialty::RessourcesHumaines, 4),
    ("paie", Specialty::RessourcesHumaines, 3),
    ("onboarding", Specialty::RessourcesHumaines, 3),
    ("fiche* de poste", Specialty::RessourcesHumaines, 2),
    ("offre* d emploi", Specialty::RessourcesHumaines, 2),
    ("nouveaux salaries", Specialty::RessourcesHumaines, 2),
    ("candidatur*", Specialty::RessourcesHumaines, 3),
    ("cv", Specialty::RessourcesHumaines, 2),
    ("conges", Specialty::RessourcesHumaines, 2),
    ("entretiens annuels", Specialty::RessourcesHumaines, 3),
    ("logiciel rh", Specialty::RessourcesHumaines, 4),
    ("formation des salaries", Specialty::RessourcesHumaines, 3),
    ("rgpd", Specialty::Donnees, 5),
    ("protection des donnees", Specialty::Donnees, 7),
    ("nos donnees", Specialty::Donnees, 4),
    ("garder nos dossiers", Specialty::Donnees, 2),
    ("donnees", Specialty::Donnees, 3),
    ("data", Specialty::Donnees, 2),
    ("donnees personnelles", Specialty::Donnees, 2),
    ("tableau* de bord", Specialty::Donnees, 4),
    ("fichier clients", Specialty::Donnees, 3),
    ("adresses de mes clients", Specialty::Donnees, 3),
    ("ocr", Specialty::Donnees, 2),
    ("mentions legales", Specialty::Donnees, 4),
    ("cookies", Specialty::Donnees, 4),
    ("confidentialit*", Specialty::Donnees, 3),
    ("coordonnees des clients", Specialty::Donnees, 3),
    ("donnees clients", Specialty::Donnees, 3),
    ("mettre ~ clients", Specialty::Donnees, 4),
    ("se mettre en regle", Specialty::Donnees, 2),
    ("le droit de conserver", Specialty::Donnees, 3),
    ("fichas de mis clientes", Specialty::Donnees, 4),
    ("strategie numerique", Specialty::StrategieNumerique, 5),
    ("strategie", Specialty::StrategieNumerique, 2),
    ("transformation numerique", Specialty::StrategieNumerique, 5),
    ("diagnostic numerique", Specialty::StrategieNumerique, 5),
    ("digitalis*", Specialty::StrategieNumerique, 4),
    ("faire le point", Specialty::StrategieNumerique, 2),
    ("choisir un prestataire", Specialty::StrategieNumerique, 1),
    ("passer au numerique", Specialty::StrategieNumerique, 4),
    ("plan d action numerique", Specialty::StrategieNumerique, 4),
    ("feuille de route", Specialty::StrategieNumerique, 3),
    ("outils collaboratifs", Specialty::OutilsCollaboratifs, 5),
    ("cloud", Specialty::OutilsCollaboratifs, 4),
    ("visioconference", Specialty::OutilsCollaboratifs, 3),
    ("bureautique", Specialty::OutilsCollaboratifs, 3),
    ("messagerie", Specialty::OutilsCollaboratifs, 2),
    ("partager nos documents", Specialty::OutilsCollaboratifs, 4),
    ("memes documents", Specialty::OutilsCollaboratifs, 3),
    ("travailler a plusieurs", Specialty::OutilsCollaboratifs, 3),
    ("plannings", Specialty::OutilsCollaboratifs, 1),
    ("partage de fichiers", Specialty::OutilsCollaboratifs, 4),
    ("tout partager", Specialty::OutilsCollaboratifs, 3),
    ("partag* ~ documents", Specialty::OutilsCollaboratifs, 3),
    ("teletravail", Specialty::OutilsCollaboratifs, 3),
    ("excel", Specialty::OutilsCollaboratifs, 2),
    ("agenda partage", Specialty::OutilsCollaboratifs, 3),
    ("travailler autrement", Specialty::OutilsCollaboratifs, 2),
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::words::tokens;

    fn spans(cue: &str, text: &str) -> Vec<(usize, usize)> {
        find(cue, &tokens(text)).into_iter().map(|s| (s.start, s.end)).collect()
    }

    #[test]
    fn prefixes_gaps_and_one_typo() {
        assert_eq!(spans("recrut*", "on veut recruter"), [(2, 3)]);
        assert_eq!(spans("vendre ~ en ligne", "vendre mon vin en ligne"), [(0, 5)]);
        assert_eq!(spans("vendre ~ en ligne", "vendre en ligne"), [(0, 3)]);
        assert!(spans("vendre ~ en ligne", "vendre des choses un jour peut etre en ligne").is_empty());
        assert_eq!(spans("vendre ~ sur internet", "vendre ma viande en direct sur internet"), [(0, 7)]);
        assert_eq!(spans("comptabilite", "la comptabilté"), [(1, 2)]);
        // Short words need the exact spelling.
        assert!(spans("site", "suite").is_empty());
    }

    #[test]
    fn every_cue_is_folded() {
        let all = INTENT
            .iter()
            .map(|c| c.0)
            .chain(SPECIALTY.iter().map(|c| c.0))
            .chain(crate::trades::SECTOR.iter().map(|c| c.0));
        for cue in all {
            let folded: String = osez_core::text::fold(&cue.replace(['*', '~'], "x"));
            assert_eq!(folded, cue.replace(['*', '~'], "x"), "{cue}");
        }
    }
}
