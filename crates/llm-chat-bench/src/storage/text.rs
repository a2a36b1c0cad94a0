//! Message texts for the seeded database: sentences in Chinese and English
//! drawn from a Zipf-like vocabulary (the word of rank r is drawn with a
//! probability proportional to 1/r), so that a few terms are in most messages
//! and most terms are in very few, as in real chats. Deterministic: the same
//! seed writes the same texts, so the search queries below match the same
//! documents on every run.

/// Real words first (by rank), then a long tail of made-up words.
const ENGLISH: [&str; 60] = [
    "the", "to", "model", "and", "data", "is", "a", "for", "of", "in", "how", "it", "we", "can", "this", "with",
    "server", "user", "query", "code", "error", "test", "build", "memory", "rust", "python", "index", "cache",
    "request", "token", "stream", "deploy", "config", "thread", "latency", "database", "docker", "network", "vector",
    "schema", "kernel", "async", "future", "compile", "release", "backup", "metric", "socket", "prompt", "branch",
    "commit", "review", "budget", "travel", "recipe", "weather", "invoice", "garden", "violin", "harbor",
];
const CHINESE: [&str; 60] = [
    "我们",
    "模型",
    "数据",
    "问题",
    "可以",
    "一个",
    "需要",
    "代码",
    "用户",
    "服务器",
    "这个",
    "时候",
    "部署",
    "测试",
    "性能",
    "内存",
    "数据库",
    "异步",
    "编程",
    "配置",
    "错误",
    "缓存",
    "网络",
    "请求",
    "线程",
    "索引",
    "查询",
    "延迟",
    "机器学习",
    "天气",
    "旅行",
    "计划",
    "周报",
    "总结",
    "邮件",
    "红烧肉",
    "京都",
    "预算",
    "花园",
    "音乐",
    "电影",
    "小猫",
    "猫咪",
    "咖啡",
    "火车",
    "医院",
    "学校",
    "朋友",
    "周末",
    "会议",
    "报告",
    "合同",
    "发票",
    "快递",
    "地铁",
    "天气预报",
    "异步编程",
    "向量检索",
    "分布式系统",
    "开源社区",
];
/// Syllables and characters the tail of made-up words is built from. No 猫:
/// the one-character query finds only the real words holding it.
const SYLLABLES: [&str; 24] = [
    "ka", "lo", "mi", "ren", "tu", "vo", "zan", "pe", "shi", "dor", "qua", "fel", "ni", "bar", "eth", "gu", "wy",
    "sol", "tri", "xen", "mo", "ul", "ja", "ri",
];
const CHARACTERS: [char; 40] = [
    '山', '水', '云', '风', '花', '石', '林', '河', '星', '月', '光', '影', '金', '木', '火', '土', '春', '夏', '秋',
    '冬', '东', '西', '南', '北', '红', '青', '白', '黑', '长', '明', '安', '平', '和', '新', '古', '远', '清', '深',
    '乐', '宁',
];
/// Words per language, real and made up.
const VOCABULARY: u64 = 20_000;

/// The rank of the rare English query: a made-up word in about one message
/// in ten thousand.
const RARE_RANK: u64 = 12_345;

/// The queries the storage scenario times, one per class of term: (class, query).
pub fn queries() -> Vec<(&'static str, String)> {
    vec![
        ("common English word", "model".to_owned()),
        ("rare English word", english_word(RARE_RANK)),
        ("two-word English phrase", "latency database".to_owned()),
        ("common Chinese word (2 chars)", "模型".to_owned()),
        ("Chinese phrase (4 chars)", "天气预报".to_owned()),
        ("Chinese term (1 char)", "猫".to_owned()),
        ("mixed Chinese and English", "rust 异步".to_owned()),
        ("no match", "quantumflux".to_owned()),
    ]
}

/// A small, fast, deterministic generator (SplitMix64); statistical quality is
/// all a benchmark corpus needs.
pub struct Words {
    state: u64,
}

impl Words {
    pub fn new(seed: u64) -> Words {
        Words { state: seed }
    }

    fn next(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n`.
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    /// A rank in `0..VOCABULARY` with P(r) ∝ 1/(r+1): the inverse of the
    /// continuous Zipf distribution's CDF, ln(r)/ln(N).
    fn rank(&mut self) -> u64 {
        let u = (self.next() >> 11) as f64 / (1u64 << 53) as f64;
        ((VOCABULARY as f64 + 1.0).powf(u) as u64)
            .saturating_sub(1)
            .min(VOCABULARY - 1)
    }

    /// A message of one to four sentences, each Chinese or English.
    pub fn message(&mut self) -> String {
        let sentences = 1 + self.below(4);
        let mut text = String::new();
        for _ in 0..sentences {
            if self.below(2) == 0 {
                self.english(&mut text);
            } else {
                self.chinese(&mut text);
            }
        }
        text
    }

    /// A conversation title: two or three words of one language.
    pub fn title(&mut self) -> String {
        let words = 2 + self.below(2);
        let chinese = self.below(2) == 0;
        let parts: Vec<String> = (0..words)
            .map(|_| {
                let rank = self.rank();
                if chinese {
                    chinese_word(rank)
                } else {
                    english_word(rank)
                }
            })
            .collect();
        parts.join(if chinese { "" } else { " " })
    }

    fn english(&mut self, text: &mut String) {
        if !text.is_empty() {
            text.push(' ');
        }
        let words = 5 + self.below(10);
        for n in 0..words {
            let word = english_word(self.rank());
            if n == 0 {
                let mut chars = word.chars();
                if let Some(first) = chars.next() {
                    text.extend(first.to_uppercase());
                    text.push_str(chars.as_str());
                }
            } else {
                text.push(' ');
                text.push_str(&word);
            }
        }
        text.push('.');
    }

    fn chinese(&mut self, text: &mut String) {
        let words = 4 + self.below(8);
        for _ in 0..words {
            text.push_str(&chinese_word(self.rank()));
        }
        text.push('。');
    }
}

/// The English word of `rank`: a real one, or one made of syllables.
pub fn english_word(rank: u64) -> String {
    match usize::try_from(rank).ok().and_then(|r| ENGLISH.get(r)) {
        Some(word) => (*word).to_owned(),
        None => {
            let mut n = rank;
            let mut word = String::new();
            while n > 0 {
                word.push_str(SYLLABLES[(n % SYLLABLES.len() as u64) as usize]);
                n /= SYLLABLES.len() as u64;
            }
            word
        }
    }
}

/// The Chinese word of `rank`: a real one, or two to three characters.
pub fn chinese_word(rank: u64) -> String {
    match usize::try_from(rank).ok().and_then(|r| CHINESE.get(r)) {
        Some(word) => (*word).to_owned(),
        None => {
            let mut n = rank;
            let mut word = String::new();
            while n > 0 {
                word.push(CHARACTERS[(n % CHARACTERS.len() as u64) as usize]);
                n /= CHARACTERS.len() as u64;
            }
            word
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_words_are_common_and_rare_ones_rare() {
        let mut words = Words::new(7);
        let texts: Vec<String> = (0..20_000).map(|_| words.message()).collect();
        let share = |term: &str| texts.iter().filter(|t| t.to_lowercase().contains(term)).count();
        assert!(share("model") > 2_000, "{}", share("model"));
        assert!(share("模型") > 2_000, "{}", share("模型"));
        let rare = english_word(RARE_RANK);
        assert!(share(&rare) < 20, "{rare}: {}", share(&rare));
        assert_eq!(share("quantumflux"), 0);
        assert!(share("猫") > 20, "{}", share("猫"));
    }
}
