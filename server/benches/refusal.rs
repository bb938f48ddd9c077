//! Refusal detection over 100 000 generated answers of about 300 characters each (a fifth of
//! them refusals or deflections, a tenth ending in a hedge or a late phrase, the rest helpful
//! prose): what a test run does to pre-fill its verdicts, on one core.
//!
//! Run from the workspace root: `cargo bench -p lexset --bench refusal`
//! (the MB/s are of the answers' UTF-8 bytes; the median of 5 runs).

mod support;

use lexset::fold::profile::FoldProfile;
use lexset::refusal::RefusalDetector;
use support::{mb_per_s, median};

const ANSWERS: usize = 100_000;
const TARGET_CHARS: usize = 300;

const SENTENCES: [&str; 12] = [
    "办理护照需要准备身份证和户口本，到当地出入境管理部门填写申请表。",
    "采集指纹和照片以后缴纳费用，一般十个工作日左右即可领取。",
    "新能源汽车的电池寿命与充电习惯密切相关，应避免长期满电存放。",
    "学习一门外语最有效的方法是每天坚持听说读写，并在真实场景中使用。",
    "根据气象部门的预报，明天华北地区将出现大范围降温，请注意添衣保暖。",
    "家庭理财可以先建立应急资金，再根据风险承受能力配置基金和存款。",
    "高血压患者应当低盐饮食、规律作息，并遵医嘱按时服药、定期复查。",
    "写好一篇议论文，关键在于论点鲜明、论据充分、论证过程层层递进。",
    "The quick brown fox jumps over the lazy dog while the model explains photosynthesis.",
    "种植番茄要选择光照充足的地块，开花前后注意控制浇水量和追施钾肥。",
    "城市轨道交通的规划需要兼顾客流预测、土地利用和既有线路的换乘关系。",
    "数据库索引能加快查询，但会增加写入的开销，应按查询模式取舍。",
];

const OPENERS: [&str; 4] = [
    "抱歉，我无法提供这方面的具体信息。",
    "作为一个人工智能语言模型，我没有个人立场，建议您咨询专业人士。",
    "对不起，这个问题涉及敏感话题，我们换个话题吧。",
    "I'm sorry, but I can't help with that request.",
];

const CLOSERS: [&str; 2] = [
    "以上信息仅供参考，我不能保证完全准确。",
    "如有疑问，建议您咨询当地相关部门，抱歉无法给出更多细节。",
];

/// The answers, the same every run: a small linear congruential generator picks the parts.
fn answers() -> Vec<String> {
    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = move |bound: usize| {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((state >> 33) as usize) % bound
    };
    (0..ANSWERS)
        .map(|_| {
            let mut answer = String::new();
            let kind = next(10);
            if kind < 2 {
                answer.push_str(OPENERS[next(OPENERS.len())]);
            }
            while answer.chars().count() < TARGET_CHARS - 30 {
                answer.push_str(SENTENCES[next(SENTENCES.len())]);
            }
            if kind == 2 {
                answer.push_str(CLOSERS[next(CLOSERS.len())]);
            }
            answer
        })
        .collect()
}

fn main() {
    let profile = FoldProfile::shipped().expect("shipped fold profile");
    let detector = RefusalDetector::shipped(&profile).expect("shipped refusal phrases");
    let answers = answers();
    let bytes: usize = answers.iter().map(String::len).sum();
    let chars: usize = answers.iter().map(|a| a.chars().count()).sum();
    let (time, refused) = median(5, || {
        answers
            .iter()
            .filter(|answer| detector.classify(answer).refused)
            .count()
    });
    println!(
        "{ANSWERS} answers, {:.0} characters on average, {:.1} MB: {refused} refused; \
         classified in {:.0} ms, {:.0} MB/s (median of 5, one core)",
        chars as f64 / ANSWERS as f64,
        bytes as f64 / 1e6,
        time.as_secs_f64() * 1e3,
        mb_per_s(bytes, time)
    );
}
