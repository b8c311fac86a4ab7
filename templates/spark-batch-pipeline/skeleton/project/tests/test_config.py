from pipeline.config import load_config


def test_config_in_the_repository_loads():
    config = load_config("config/pipeline.yaml")
    assert config.inputs
    assert config.output_path.startswith("s3://")
