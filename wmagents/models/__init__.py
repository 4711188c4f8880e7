"""World models and encoders shared by model-based agents."""
