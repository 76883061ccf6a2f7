"""The default colour-card instrument (version 1), shipped as data.

30 items over the five dimensions districts use. Each option scores 0 (no risk) to 3 (high
risk); options marked emergency make the card red whatever the total. Thresholds: a total of
30 or more is red, 15 or more orange, below 15 blue. A district admin copies this version in
the app to change wording, scores, weights or thresholds; assessments keep their version.
"""

E = True  # marks an emergency option

DEFAULT_INSTRUMENT = {
    "name": "困境儿童风险评估量表",
    "red_from": 30,
    "orange_from": 15,
    "dimensions": [
        {
            "key": "self",
            "name": "自身发展状况",
            "items": [
                (
                    "health",
                    "身体健康状况",
                    [
                        ("healthy", "健康", 0),
                        ("minor", "一般疾病", 1),
                        ("chronic", "慢性病或需长期治疗", 2),
                        ("severe", "重病或重度残疾", 3),
                    ],
                ),
                (
                    "mood",
                    "心理与情绪",
                    [
                        ("stable", "情绪稳定", 0),
                        ("occasional", "偶有情绪困扰", 1),
                        ("persistent", "持续焦虑、抑郁", 2),
                        ("self_harm", "有自伤、自杀念头或行为", 3, E),
                    ],
                ),
                (
                    "behaviour",
                    "行为表现",
                    [
                        ("normal", "正常", 0),
                        ("mild", "轻微问题", 1),
                        ("truancy", "逃学、打架等", 2),
                        ("delinquent", "违法或严重不良行为", 3),
                    ],
                ),
                (
                    "self_care",
                    "生活自理能力",
                    [
                        ("age", "与年龄相符", 0),
                        ("partial", "部分依赖他人", 1),
                        ("mostly", "大部分依赖他人", 2),
                        ("full", "完全依赖他人", 3),
                    ],
                ),
                (
                    "growth",
                    "营养与发育",
                    [
                        ("normal", "正常", 0),
                        ("mild", "轻度营养不良", 1),
                        ("delayed", "明显发育迟缓", 2),
                        ("severe", "严重营养不良", 3),
                    ],
                ),
                (
                    "whereabouts",
                    "下落情况",
                    [
                        ("known", "下落明确", 0),
                        ("ran_away", "曾离家出走，已找回", 2),
                        ("missing", "目前下落不明", 3, E),
                    ],
                ),
                (
                    "safety_skills",
                    "自我保护意识",
                    [("good", "较好", 0), ("some", "一般", 1), ("poor", "缺乏", 2)],
                ),
            ],
        },
        {
            "key": "guardian",
            "name": "监护人情况",
            "items": [
                (
                    "carer",
                    "实际照料情况",
                    [
                        ("parents", "父母在身边照料", 0),
                        ("one_away", "父母一方外出", 1),
                        ("grandparents", "父母均外出，由祖辈或亲属照料", 2),
                        ("no_one", "无人实际照料", 3, E),
                    ],
                ),
                (
                    "capacity",
                    "监护能力",
                    [
                        ("good", "良好", 0),
                        ("fair", "一般", 1),
                        ("weak", "较弱（年老、患病等）", 2),
                        ("none", "无监护能力", 3),
                    ],
                ),
                (
                    "willingness",
                    "监护意愿",
                    [
                        ("active", "积极履行", 0),
                        ("fair", "一般", 1),
                        ("passive", "消极应付", 2),
                        ("abandon", "拒绝监护或遗弃", 3, E),
                    ],
                ),
                (
                    "parenting",
                    "教养方式",
                    [
                        ("proper", "恰当", 0),
                        ("indulgent", "溺爱或放任", 1),
                        ("harsh", "经常打骂、训斥", 2),
                    ],
                ),
                (
                    "violence",
                    "是否遭受暴力、虐待或性侵害",
                    [("no", "无", 0), ("past", "曾有，已停止", 2), ("ongoing", "正在发生", 3, E)],
                ),
                (
                    "guardian_health",
                    "监护人身心健康",
                    [
                        ("healthy", "健康", 0),
                        ("chronic", "慢性病", 1),
                        ("severe", "重病或残疾", 2),
                        ("disorder", "精神障碍、吸毒或酗酒", 3),
                    ],
                ),
                (
                    "guardian_offence",
                    "监护人违法犯罪情况",
                    [("none", "无", 0), ("past", "曾有", 1), ("custody", "正在服刑或被羁押", 3)],
                ),
            ],
        },
        {
            "key": "family",
            "name": "家庭状况",
            "items": [
                (
                    "income",
                    "家庭经济状况",
                    [
                        ("ordinary", "一般", 0),
                        ("tight", "较困难", 1),
                        ("dibao", "低保家庭", 2),
                        ("none", "特困或无稳定收入", 3),
                    ],
                ),
                (
                    "housing",
                    "住房条件",
                    [("safe", "安全", 0), ("poor", "简陋", 1), ("danger", "危房或无固定住所", 3)],
                ),
                (
                    "structure",
                    "家庭结构",
                    [
                        ("complete", "完整", 0),
                        ("single", "单亲", 1),
                        ("blended", "重组", 1),
                        ("orphan", "孤儿或事实无人抚养", 3),
                    ],
                ),
                (
                    "relations",
                    "家庭关系",
                    [
                        ("harmony", "和睦", 0),
                        ("conflict", "偶有冲突", 1),
                        ("frequent", "经常冲突", 2),
                        ("violence", "存在家庭暴力", 3),
                    ],
                ),
                (
                    "burden",
                    "家庭成员患病或残疾负担",
                    [("none", "无", 0), ("one", "有一人", 1), ("several", "多人", 2)],
                ),
                (
                    "support",
                    "亲友支持",
                    [("much", "较多", 0), ("little", "较少", 1), ("none", "没有", 2)],
                ),
            ],
        },
        {
            "key": "school",
            "name": "学校教育",
            "items": [
                (
                    "attendance",
                    "就学状况",
                    [
                        ("regular", "正常就学（或学龄前）", 0),
                        ("absent", "经常缺课", 2),
                        ("dropout", "辍学或失学", 3),
                    ],
                ),
                (
                    "performance",
                    "学业表现",
                    [("good", "良好", 0), ("fair", "一般", 1), ("difficult", "困难", 2)],
                ),
                (
                    "peers",
                    "同伴关系",
                    [
                        ("good", "良好", 0),
                        ("fair", "一般", 1),
                        ("isolated", "被孤立", 2),
                        ("bullied", "遭受校园欺凌", 3),
                    ],
                ),
                (
                    "teachers",
                    "师生关系",
                    [("good", "良好", 0), ("fair", "一般", 1), ("tense", "紧张", 2)],
                ),
                (
                    "school_support",
                    "学校关注与支持",
                    [("yes", "有专人关注", 0), ("little", "关注较少", 1), ("none", "无人关注", 2)],
                ),
            ],
        },
        {
            "key": "society",
            "name": "社会环境",
            "items": [
                (
                    "neighbourhood",
                    "社区环境安全",
                    [("safe", "安全", 0), ("fair", "一般", 1), ("unsafe", "不安全", 2)],
                ),
                (
                    "benefits",
                    "救助政策落实",
                    [
                        ("all", "已享受应享政策", 0),
                        ("partly", "部分享受", 1),
                        ("none", "未享受", 2),
                    ],
                ),
                (
                    "contacts",
                    "不良接触",
                    [
                        ("none", "无", 0),
                        ("some", "偶尔接触社会闲散人员", 1),
                        ("often", "经常接触", 2),
                        ("gang", "参与不良团伙", 3),
                    ],
                ),
                (
                    "internet",
                    "网络使用",
                    [("normal", "正常", 0), ("heavy", "较多", 1), ("addicted", "沉迷网络", 2)],
                ),
                (
                    "community_care",
                    "村（居）委会及社会组织关注",
                    [("yes", "经常关注", 0), ("little", "偶尔关注", 1), ("none", "无人关注", 2)],
                ),
            ],
        },
    ],
}
